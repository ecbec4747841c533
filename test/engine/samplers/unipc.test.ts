import { describe, expect, it } from "vitest";
import { sampleDpmpp2m } from "../../../lib/engine/samplers/dpmpp-2m.ts";
import { sampleUniPc, type UniPcArgs } from "../../../lib/engine/samplers/unipc.ts";
import { exactAt, toyDenoise, toySigmas } from "./toy.ts";

const sigmas = toySigmas("karras", 20).subarray(0, 20);
const args = (extra: Partial<UniPcArgs> = {}): UniPcArgs => ({
  denoise: toyDenoise,
  x: Float32Array.of(sigmas[0]),
  sigmas,
  noise: () => new Float32Array(1),
  ...extra,
});
const error = (x: Float32Array, walked: ArrayLike<number>) => Math.abs(x[0] - exactAt(walked[0], walked[walked.length - 1]));

describe("UniPC options (A1111 uni_pc_variant / uni_pc_order / uni_pc_lower_order_final)", () => {
  it("converges with B(h) = e^h − 1 (bh2) as with bh1", async () => {
    expect(error(await sampleUniPc(args({ variant: "bh2" })), sigmas)).toBeLessThan(1e-3);
  });

  it("converges at orders 1 to 3, more closely with higher order", async () => {
    const errors = [];
    for (const order of [1, 2, 3]) errors.push(error(await sampleUniPc(args({ order })), sigmas));
    expect(errors[2]).toBeLessThan(errors[0]);
    expect(errors[0]).toBeLessThan(1e-2);
  });

  it("keeps full order to the end without lower_order_final, which changes the result", async () => {
    const lowered = await sampleUniPc(args());
    const full = await sampleUniPc(args({ lowerOrderFinal: false }));
    expect(full[0]).not.toBe(lowered[0]);
    expect(error(full, sigmas)).toBeLessThan(5e-3);
  });

  it("takes a single step as a first-order DPM-Solver++ step, lowering the order to the step count", async () => {
    const two = [sigmas[0], sigmas[5]];
    const single = await sampleUniPc(args({ sigmas: two }));
    const dpm = await sampleDpmpp2m({ ...args(), sigmas: two });
    expect(single[0]).toBeCloseTo(dpm[0], 6);
  });
});
