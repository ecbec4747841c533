/**
 * Deterministic Gaussian weights for the tiny model.
 *
 * Each tensor draws from its own stream, keyed by (seed, tensor name), so the same weight has the same values in
 * every exporter variant no matter which other tensors a graph holds: the SD 1.x variants share their weights, and
 * their outputs can be compared across exporters. The stream is mulberry32 (32-bit integer arithmetic) fed to the
 * Box–Muller transform; V8's Math.log/sin/cos are fdlibm ports, so the bytes do not depend on the CPU.
 */

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The uniform [0, 1) stream of the tensor called `name` under `seed` (one stream per tensor). */
export function seededUniform(seed: number, name: string): () => number {
  return mulberry32(fnv1a(name) ^ Math.imul(seed | 0, 0x9e3779b1));
}

/** `count` samples of N(0, std²) for the tensor called `name`. */
export function seededNormals(seed: number, name: string, count: number, std: number): Float32Array {
  const uniform = seededUniform(seed, name);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - uniform())) * std;
    const angle = 2 * Math.PI * uniform();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}
