/**
 * A1111's "CPU" noise source: `torch.randn(shape, generator=torch.Generator("cpu").manual_seed(seed))` for
 * float32 tensors. The path reproduced is PyTorch's scalar `normal_fill` (aten/src/ATen/native/cpu/
 * DistributionTemplates.h), which every contiguous float32 tensor of 16 or more elements takes; builds that
 * dispatch to the AVX2 kernel (`normal_fill_AVX2`) use approximate log/sincos and differ in the low bits
 * (docs/a1111-semantics.md §6.4).
 */
import { Mt19937 } from "./mt19937.ts";
import { seedWords } from "./seed.ts";
import type { Seed } from "./seed.ts";

const BLOCK = 16;
const HALF_BLOCK = BLOCK / 2;
const UNIFORM_MASK = 0xffffff;
const UNIFORM_SCALE = 2 ** -24;
const TWO_PI = 2 * Math.PI;

export class TorchCpuGenerator {
  readonly #engine: Mt19937;

  /** `manual_seed(seed)`: MT19937 seeded with the low 32 bits of the seed's 64-bit two's complement. */
  constructor(seed: Seed) {
    this.#engine = new Mt19937(seedWords(seed)[0]);
  }

  /**
   * `count` normals in C order, continuing the generator's stream. Tensors of 1 to 15 elements take PyTorch's
   * other (double-precision, cached) path, which A1111's latents never reach; they are refused rather than
   * approximated.
   */
  randn(count: number): Float32Array {
    if (count > 0 && count < BLOCK) {
      throw new RangeError(`CPU randn reproduces tensors of at least ${BLOCK} elements, got ${count}`);
    }
    const data = new Float32Array(count);
    this.#fillUniform(data, 0);
    for (let start = 0; start + BLOCK <= count; start += BLOCK) normalFill16(data, start);
    if (count % BLOCK !== 0) {
      // PyTorch redraws 16 fresh uniforms for the last 16 positions and transforms them again.
      const start = count - BLOCK;
      this.#fillUniform(data, start);
      normalFill16(data, start);
    }
    return data;
  }

  /** `uniform_real_distribution<float>(0, 1)`: the low 24 bits of one draw, times 2^-24 (exact in float32). */
  #fillUniform(data: Float32Array, from: number): void {
    for (let i = from; i < data.length; i++) data[i] = (this.#engine.nextUint32() & UNIFORM_MASK) * UNIFORM_SCALE;
  }
}

/**
 * PyTorch `normal_fill_16`: Box–Muller on pairs (j, j + 8) of one 16-element block, in float32. Each float
 * operation is rounded with `Math.fround`; theta is computed in double (`2.0f * c10::pi<double> * u2`) and then
 * stored as float.
 */
function normalFill16(data: Float32Array, start: number): void {
  for (let j = start; j < start + HALF_BLOCK; j++) {
    const u1 = 1 - data[j];
    const u2 = data[j + HALF_BLOCK];
    const radius = Math.fround(Math.sqrt(-2 * Math.fround(Math.log(u1))));
    const theta = Math.fround(TWO_PI * u2);
    data[j] = radius * Math.fround(Math.cos(theta));
    data[j + HALF_BLOCK] = radius * Math.fround(Math.sin(theta));
  }
}
