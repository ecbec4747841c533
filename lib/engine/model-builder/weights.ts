import type { FloatType, GraphParameter, WeightInit } from "./export-graph.ts";
import { product } from "./export-graph.ts";
import { seededUniform } from "../tiny-model/seeded-normals.ts";

/**
 * Seeded random weights.
 *
 * Each parameter draws from its own stream, keyed by (seed, state_dict name): the values do not depend on which other
 * parameters a graph holds, on the float type or on the Linear layout, so the "named" and "folded" exports of one
 * seed compute the same function. The stream is mulberry32 (32-bit integer arithmetic, a few ns per value: a full
 * SD 1.5 is ~1.07 billion values), so the bytes do not depend on the CPU.
 *
 * Initialisation follows torch's defaults, which keep activations finite through the real depth: Linear and Conv2d
 * weights and biases U(−1/√fan_in, 1/√fan_in) (nn.Linear.reset_parameters: kaiming_uniform_ with a = √5, and the
 * bias bound), GroupNorm/LayerNorm weight 1 and bias 0, embeddings N(0, 0.02²) (CLIP's initializer_range).
 */

/** Fills `out` with the parameter's values (torch layout), from the stream of (seed, name). */
export function fillParameter(out: Float32Array, seed: number, name: string, init: WeightInit): void {
  if (init.kind === "constant") {
    out.fill(init.value);
    return;
  }
  const next = seededUniform(seed, name);
  if (init.kind === "uniform") {
    const scale = 2 * init.bound;
    for (let i = 0; i < out.length; i++) out[i] = (next() - 0.5) * scale;
    return;
  }
  // Box–Muller; V8's Math.log/cos/sin are fdlibm ports, so these are CPU-independent too.
  for (let i = 0; i < out.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - next())) * init.std;
    const angle = 2 * Math.PI * next();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
}

/** The parameter's values in torch's layout ([out, in] for a Linear weight). */
export function parameterValues(seed: number, parameter: GraphParameter): Float32Array {
  const values = new Float32Array(product(parameter.dims));
  fillParameter(values, seed, parameter.name, parameter.init);
  return values;
}

function transpose2d(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c];
  }
  return out;
}

/** The bytes of the parameter's initializer: its values, transposed where the graph stores the transpose. */
export function initializerBytes(seed: number, parameter: GraphParameter, type: FloatType): Uint8Array {
  let values = parameterValues(seed, parameter);
  if (parameter.transposed) values = transpose2d(values, parameter.dims[0], parameter.dims[1]);
  const typed = type === "float32" ? values : new Float16Array(values);
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

/** torch's default bound for a Linear/Conv2d weight or bias with `fanIn` inputs per output. */
export function torchDefaultInit(fanIn: number): WeightInit {
  return { kind: "uniform", bound: 1 / Math.sqrt(fanIn) };
}

export const ONES: WeightInit = { kind: "constant", value: 1 };
export const ZEROS: WeightInit = { kind: "constant", value: 0 };
/** transformers CLIPTextEmbeddings init: normal with std initializer_factor × 0.02. */
export const EMBEDDING_INIT: WeightInit = { kind: "normal", std: 0.02 };
