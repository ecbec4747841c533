import { describe, expect, it } from "vitest";
import { addToSeed, seedWords } from "../../../lib/engine/rng/seed.ts";

describe("seedWords splits a seed into its 64-bit words, low first", () => {
  it("splits 2^32 + 5 into (5, 1), as rng_philox.py's uint64 → 2 × uint32 view does (docs/a1111-semantics.md §6.4)", () => {
    expect(seedWords(4294967301)).toEqual([5, 1]);
    expect(seedWords(4294967301n)).toEqual([5, 1]);
  });

  it("takes negative seeds as their two's complement (torch manual_seed, numpy uint64)", () => {
    expect(seedWords(-1)).toEqual([0xffffffff, 0xffffffff]);
    expect(seedWords(-(2n ** 63n))).toEqual([0, 0x80000000]);
  });

  it("rejects non-integers and values outside [-2^63, 2^64)", () => {
    expect(() => seedWords(1.5)).toThrow(RangeError);
    expect(() => seedWords(Number.NaN)).toThrow(RangeError);
    expect(() => seedWords(2n ** 64n)).toThrow(RangeError);
    expect(() => seedWords(-(2n ** 63n) - 1n)).toThrow(RangeError);
  });
});

describe("addToSeed adds like Python ints", () => {
  it("keeps the seed's type", () => {
    expect(addToSeed(1000, 31337)).toBe(32337);
    expect(addToSeed(2n ** 63n, 31337)).toBe(2n ** 63n + 31337n);
  });
});
