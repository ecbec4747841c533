/**
 * Seeds as A1111 holds them: Python ints that reach the generators as 64-bit words. PyTorch's `manual_seed` and
 * numpy's uint64 `fill` (modules/rng_philox.py) both take a seed modulo 2^64, so a negative seed is its two's
 * complement.
 */
export type Seed = number | bigint;

const UINT64_SPAN = 2n ** 64n;

/** The seed as (low 32 bits, high 32 bits) of its 64-bit two's complement. */
export function seedWords(seed: Seed): readonly [low: number, high: number] {
  const value = typeof seed === "bigint" ? seed : integerSeed(seed);
  if (value < -(UINT64_SPAN / 2n) || value >= UINT64_SPAN) {
    throw new RangeError(`seed ${seed} is outside [-2^63, 2^64)`);
  }
  const word = BigInt.asUintN(64, value);
  return [Number(word & 0xffffffffn), Number(word >> 32n)];
}

/** `seed + delta` as Python adds them (A1111 `seed + eta_noise_seed_delta`), keeping the seed's type. */
export function addToSeed(seed: Seed, delta: number): Seed {
  return typeof seed === "bigint" ? seed + BigInt(delta) : seed + delta;
}

function integerSeed(seed: number): bigint {
  if (!Number.isInteger(seed)) throw new RangeError(`seed ${seed} is not an integer`);
  return BigInt(seed);
}
