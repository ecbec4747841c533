import { describe, expect, it } from "vitest";
import { allSeeds, allSubseeds, fixSeed, randomSeed } from "../../../lib/engine/rng/seeds.ts";

describe("fixSeed (A1111 processing.get_fixed_seed, docs/a1111-semantics.md §6.1)", () => {
  it("replaces -1, null and a missing seed with a random one", () => {
    const draw = () => 123456;
    expect(fixSeed(-1, draw)).toBe(123456);
    expect(fixSeed(null, draw)).toBe(123456);
    expect(fixSeed(undefined, draw)).toBe(123456);
  });

  it("keeps every other seed, including 0 and other negatives", () => {
    const draw = () => 123456;
    expect(fixSeed(0, draw)).toBe(0);
    expect(fixSeed(42, draw)).toBe(42);
    expect(fixSeed(-2, draw)).toBe(-2);
  });
});

describe("randomSeed (random.randrange(4294967294))", () => {
  it("draws varied integers in [0, 4294967293]", () => {
    const seeds = Array.from({ length: 200 }, () => randomSeed());
    for (const seed of seeds) {
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThanOrEqual(4294967293);
    }
    expect(new Set(seeds).size).toBeGreaterThan(190);
  });
});

describe("per-image seeds (docs/a1111-semantics.md §6.2)", () => {
  it("advances the seed per image when there is no variation strength", () => {
    expect(allSeeds(1000, 4, 0)).toEqual([1000, 1001, 1002, 1003]);
  });

  it("keeps one seed for every image when there is a variation strength", () => {
    expect(allSeeds(1000, 3, 0.4)).toEqual([1000, 1000, 1000]);
  });

  it("always advances the subseed per image", () => {
    expect(allSubseeds(77, 3)).toEqual([77, 78, 79]);
  });
});
