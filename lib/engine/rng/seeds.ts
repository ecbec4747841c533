/** Seed bookkeeping from A1111's modules/processing.py (docs/a1111-semantics.md §6.1–6.2). */
import { randomInt } from "node:crypto";

/** `random.randrange(4294967294)`: random seeds are uniform on [0, 4294967293]. */
const RANDOM_SEED_LIMIT = 4294967294;

/** A uniform random seed, as A1111 draws one for -1. */
export function randomSeed(): number {
  return randomInt(RANDOM_SEED_LIMIT);
}

/** `get_fixed_seed`: -1 or no seed becomes a random one; any other value is kept as given. */
export function fixSeed(seed: number | null | undefined, draw: () => number = randomSeed): number {
  return seed === null || seed === undefined || seed === -1 ? draw() : seed;
}

/**
 * `p.all_seeds` for `count` images (batch_size × n_iter): seed + i, except that with a variation strength every
 * image keeps the same seed and only the subseeds advance.
 */
export function allSeeds(seed: number, count: number, subseedStrength: number): number[] {
  return Array.from({ length: count }, (_, i) => seed + (subseedStrength === 0 ? i : 0));
}

/** `p.all_subseeds`: subseed + i for every image. */
export function allSubseeds(subseed: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => subseed + i);
}
