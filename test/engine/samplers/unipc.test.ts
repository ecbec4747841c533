import { describe, expect, it } from "vitest";
import { sampleDpmpp2m } from "../../../lib/engine/samplers/dpmpp-2m.ts";
import { sampleUniPc, type UniPcArgs } from "../../../lib/engine/samplers/unipc.ts";
import { uniPcSigmas } from "../../../lib/engine/schedules/timesteps.ts";
import { vpModelSigmas } from "../../../lib/engine/schedules/vp-sigmas.ts";
import { SD15 } from "../schedules/sd15.ts";
import { exactAt, toyDenoise, toySigmas } from "./toy.ts";
import { nonlinearDenoiser, START_XT, STARTS, toyDenoiser, UNIPC_VECTORS } from "./unipc-vectors.ts";

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

describe("A1111 uni_pc.py reference runs: every variant × skip type × order, txt2img and img2img (unipc-vectors.ts)", () => {
  const schedule = vpModelSigmas(SD15);
  const xtScale = (sigma: number) => 1 / Math.sqrt(1 + sigma * sigma); // x_t = x/√(1+σ²)
  const run = async (denoiser: (x: number, sigma: number) => number, sigmas: Float64Array, extra: Partial<UniPcArgs>) => {
    const out = await sampleUniPc({
      denoise: async (x, sigma) => x.map((v) => denoiser(v, sigma)),
      x: Float32Array.from(START_XT, (v) => v / xtScale(sigmas[0])),
      sigmas,
      noise: () => new Float32Array(START_XT.length),
      ...extra,
    });
    return Array.from(out, (v) => v * xtScale(sigmas[sigmas.length - 1]));
  };
  const expectRelative = (actual: number, expected: number) =>
    expect(Math.abs(actual - expected) / Math.abs(expected), `${actual} vs ${expected}`).toBeLessThan(1e-5);

  for (const [start, skipType, variant, order, lowerOrderFinal, toy, nonlinear] of UNIPC_VECTORS) {
    it(`${start}, ${skipType}, ${variant}, order ${order}${lowerOrderFinal ? "" : ", lower_order_final off"}`, async () => {
      const sigmas = uniPcSigmas(STARTS[start].tStart, STARTS[start].steps, schedule, skipType);
      const settings = { variant, order, lowerOrderFinal };
      expectRelative((await run(toyDenoiser, sigmas, settings))[0], toy);
      const out = await run(nonlinearDenoiser, sigmas, settings);
      nonlinear.forEach((expected, i) => expectRelative(out[i], expected));
    });
  }
});

describe("UniPC vary_coeff (A1111 multistep_uni_pc_vary_update)", () => {
  it("differs from bh1 and bh2, and stays near the exact solution (its corrector is less accurate than B(h)'s)", async () => {
    const vary = await sampleUniPc(args({ variant: "vary_coeff" }));
    expect(error(vary, sigmas)).toBeLessThan(0.05);
    expect(vary[0]).not.toBe((await sampleUniPc(args()))[0]);
    expect(vary[0]).not.toBe((await sampleUniPc(args({ variant: "bh2" })))[0]);
  });

  it("calls the denoiser once per step, as bh1 does", async () => {
    let calls = 0;
    const counting = async (x: Float32Array, sigma: number) => (calls++, toyDenoise(x, sigma));
    await sampleUniPc(args({ variant: "vary_coeff", denoise: counting }));
    expect(calls).toBe(sigmas.length - 1);
  });
});

describe("UniPC order outside 1…steps (A1111 asserts steps >= order and fails the request)", () => {
  const four = sigmas.subarray(0, 4);

  it("runs an order above the step count as order = steps", async () => {
    for (const variant of ["bh1", "vary_coeff"] as const) {
      const run = (order: number) => sampleUniPc(args({ sigmas: four, order, variant, lowerOrderFinal: false }));
      const high = await run(7);
      expect(high[0]).toBe((await run(3))[0]);
      expect(high[0]).not.toBe((await run(2))[0]);
    }
  });

  it("runs an order below 1 as order 1", async () => {
    expect((await sampleUniPc(args({ order: 0 })))[0]).toBe((await sampleUniPc(args({ order: 1 })))[0]);
  });
});
