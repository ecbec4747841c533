/**
 * A1111's "NV" noise source (modules/rng_philox.py): Philox4x32-10 plus a sine-only Box–Muller, imitating
 * `torch.randn(..., device="cuda")`. Reproduces rng_philox.py bit for bit (docs/a1111-semantics.md §6.4).
 */
import { seedWords } from "./seed.ts";
import type { Seed } from "./seed.ts";

// Philox4x32 multipliers and Weyl key increments (Salmon et al. 2011, Random123 philox.h), as int32 bit patterns:
// the rounds run on int32 values only, which V8 keeps unboxed (uint32 doubles above 2^31 made the loop ~1.7× slower).
const M0 = 0xd2511f53 | 0;
const M1 = 0xcd9e8d57 | 0;
const M0_HIGH = 0xd251;
const M0_LOW = 0x1f53;
const M1_HIGH = 0xcd9e;
const M1_LOW = 0x8d57;
const W0 = 0x9e3779b9 | 0;
const W1 = 0xbb67ae85 | 0;
const ROUNDS = 10;

// rng_philox.py keeps these as float32 (`np.array([...], dtype=np.float32)`), but numpy promotes
// uint32 × float32 arrays to float64, so the Box–Muller arithmetic itself runs in doubles.
const TWO_POW32_INV = Math.fround(2.3283064e-10);
const TWO_POW32_INV_2PI = Math.fround(2.3283064e-10 * 6.2831855);
const HALF_TWO_POW32_INV = TWO_POW32_INV / 2;
const HALF_TWO_POW32_INV_2PI = TWO_POW32_INV_2PI / 2;

/**
 * High 32 bits of the 64-bit product a·m (a as an int32 bit pattern, m as its 16-bit halves), by schoolbook
 * multiplication on 16-bit limbs: each partial product fits 32 bits, and `mid` gathers the carries into bit 32.
 */
function mulHigh(a: number, mHigh: number, mLow: number): number {
  const aLow = a & 0xffff;
  const aHigh = a >>> 16;
  const lowLow = Math.imul(aLow, mLow);
  const lowHigh = Math.imul(aLow, mHigh);
  const highLow = Math.imul(aHigh, mLow);
  const highHigh = Math.imul(aHigh, mHigh);
  const mid = (lowLow >>> 16) + (lowHigh & 0xffff) + (highLow & 0xffff);
  return (highHigh + (lowHigh >>> 16) + (highLow >>> 16) + (mid >>> 16)) | 0;
}

/**
 * One Philox4x32-10 block (Random123 `philox4x32_R(10, ctr, key)`): counter words c0..c3 and key words k0, k1
 * in, the four output words written to `out`. Words may be given as uint32 or int32; only their bits count.
 */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  c0 |= 0;
  c1 |= 0;
  c2 |= 0;
  c3 |= 0;
  k0 |= 0;
  k1 |= 0;
  for (let round = 0; round < ROUNDS; round++) {
    const high0 = mulHigh(c0, M0_HIGH, M0_LOW);
    const low0 = Math.imul(c0, M0);
    const high1 = mulHigh(c2, M1_HIGH, M1_LOW);
    const low1 = Math.imul(c2, M1);
    c0 = high1 ^ c1 ^ k0;
    c1 = low1;
    c2 = high0 ^ c3 ^ k1;
    c3 = low0;
    // The key advances between rounds; the bump after the last round is never read.
    k0 = (k0 + W0) | 0;
    k1 = (k1 + W1) | 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/**
 * `count` standard normals for one call at `offset`: element i uses counter (offset, 0, i, 0) and key
 * (low32(seed), high32(seed)); words 0 and 1 feed Box–Muller's sine branch, words 2 and 3 are discarded
 * (rng_philox.py `Generator.randn`, `box_muller`).
 */
function fillPhiloxNormals(out: Float32Array, key0: number, key1: number, offset: number): void {
  const block = new Uint32Array(4);
  for (let i = 0; i < out.length; i++) {
    philox4x32(offset, 0, i, 0, key0, key1, block);
    const u = block[0] * TWO_POW32_INV + HALF_TWO_POW32_INV;
    const v = block[1] * TWO_POW32_INV_2PI + HALF_TWO_POW32_INV_2PI;
    // Storing into the Float32Array rounds to nearest float32, as numpy's `astype(np.float32)` does.
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.sin(v);
  }
}

/** rng_philox.py `Generator`: a seed and an offset that each `randn` call advances by one, whatever its size. */
export class PhiloxGenerator {
  readonly #key0: number;
  readonly #key1: number;
  #offset = 0;

  constructor(seed: Seed) {
    [this.#key0, this.#key1] = seedWords(seed);
  }

  /** How many `randn` calls came before the next one. */
  get offset(): number {
    return this.#offset;
  }

  /** `count` normals in C order (a shape's elements flattened), like `Generator.randn(shape)`. */
  randn(count: number): Float32Array {
    const out = new Float32Array(count);
    fillPhiloxNormals(out, this.#key0, this.#key1, this.#offset);
    this.#offset += 1;
    return out;
  }
}
