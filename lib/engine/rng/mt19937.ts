/**
 * MT19937, the engine behind PyTorch's CPU generator (aten/src/ATen/core/MT19937RNGEngine.h), which is
 * Matsumoto & Nishimura's reference `mt19937ar.c`: `init_genrand` seeding and one tempered uint32 per draw.
 */
const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class Mt19937 {
  readonly #state = new Uint32Array(N);
  #next = N;

  /** `init_genrand(seed)`; PyTorch's `manual_seed(s)` passes `s & 0xFFFFFFFF`. */
  constructor(seed: number) {
    const state = this.#state;
    state[0] = seed;
    for (let j = 1; j < N; j++) {
      const previous = state[j - 1];
      state[j] = Math.imul(1812433253, previous ^ (previous >>> 30)) + j;
    }
  }

  /** The next tempered 32-bit output (`genrand_int32`). */
  nextUint32(): number {
    if (this.#next === N) this.#twist();
    let y = this.#state[this.#next++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Regenerates all N words of state at once, as `genrand_int32` does when it runs out. */
  #twist(): void {
    const state = this.#state;
    for (let k = 0; k < N; k++) {
      const y = (state[k] & UPPER_MASK) | (state[(k + 1) % N] & LOWER_MASK);
      state[k] = state[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.#next = 0;
  }
}
