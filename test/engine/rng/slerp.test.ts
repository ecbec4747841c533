import { describe, expect, it } from "vitest";
import { slerp } from "../../../lib/engine/rng/slerp.ts";

// A1111 modules/rng.py `slerp`, as docs/a1111-semantics.md §6.3 step 4 describes it: norms and dots over dim 1 (H of (C, H, W)),
// res = sin((1−t)ω)/sin ω · low + sin(tω)/sin ω · high per (c, w),
// and low·t + high·(1−t) when mean(dot) > 0.9995.

const expectClose = (actual: Float32Array, expected: number[]) =>
  expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 6));

describe("slerp interpolates each (c, w) column along H", () => {
  // Shape (1, 2, 2), index = h·2 + w. Column w = 0: low (1, 0), high (0, 1), so ω = π/2.
  // Column w = 1: low (1, 0), high (cos 60°, sin 60°), so ω = π/3.
  const shape = [1, 2, 2] as const;
  const low = Float32Array.from([1, 1, 0, 0]);
  const high = Float32Array.from([0, 0.5, 1, Math.sqrt(3) / 2]);

  it("gives the great-circle midpoint of each column at t = 0.5", () => {
    // Column 0: sin(π/4)·(1, 0) + sin(π/4)·(0, 1).
    // Column 1: (sin(π/6)/sin(π/3))·((1, 0) + (1/2, √3/2)) = (√3/2, 1/2).
    expectClose(slerp(0.5, low, high, shape), [Math.SQRT1_2, Math.sqrt(3) / 2, Math.SQRT1_2, 0.5]);
  });

  it("returns low at t = 0 and high at t = 1", () => {
    expectClose(slerp(0, low, high, shape), Array.from(low));
    expectClose(slerp(1, low, high, shape), Array.from(high));
  });

  it("weights the unnormalised inputs: scaling low scales its share", () => {
    const lowTimesThree = low.map((value) => value * 3);
    // Column 0 at t = 0.5: 3·sin(π/4)·(1, 0) + sin(π/4)·(0, 1).
    const result = slerp(0.5, lowTimesThree, high, shape);
    expect(result[0]).toBeCloseTo(3 * Math.SQRT1_2, 6);
    expect(result[2]).toBeCloseTo(Math.SQRT1_2, 6);
  });
  it("keeps channels apart: each channel's columns get their own angle", () => {
    // Shape (2, 2, 1), index = c·2 + h. Channel 0: ω = π/2 as above; channel 1: ω = π/3.
    const lowByChannel = Float32Array.from([1, 0, 1, 0]);
    const highByChannel = Float32Array.from([0, 1, 0.5, Math.sqrt(3) / 2]);
    expectClose(slerp(0.5, lowByChannel, highByChannel, [2, 2, 1]), [
      Math.SQRT1_2,
      Math.SQRT1_2,
      Math.sqrt(3) / 2,
      0.5,
    ]);
  });
});

describe("slerp's near-parallel fallback", () => {
  it("returns low·t + high·(1 − t), with A1111's swapped weights, when mean(dot) > 0.9995", () => {
    // Shape (1, 2, 1): one column, low (1, 0), high (1, 0.01): cos = 0.99995.
    const low = Float32Array.from([1, 0]);
    const high = Float32Array.from([1, 0.01]);
    const result = slerp(0.25, low, high, [1, 2, 1]);
    expect(result[1]).toBeCloseTo(0.0075, 7);
    expect(result[1]).not.toBeCloseTo(0.0025, 7);
  });
});
