import { describe, expect, it } from "vitest";
import type { SamplerArgs } from "../../../lib/engine/samplers/types.ts";
import { SAMPLER_FUNCTIONS, constantNoise, toyDenoise, toySigmas } from "./toy.ts";

/** docs/engine-reference.md §2.8: final x after 20 steps (numpy port of k-diffusion sampling.py + scipy quad). */
const REFERENCE = {
  uniform: { Euler: 0.44010823, Heun: 0.50446247, LMS: 0.50043466, "DPM++ 2M": 0.56667283, "Euler a": 0.77615878 },
  karras: { Euler: 0.45683479, Heun: 0.50614243, LMS: 0.49600357, "DPM++ 2M": 0.50611228, "Euler a": 0.76804423 },
  exponential: { Euler: 0.45984772, Heun: 0.50610878, LMS: 0.4954637, "DPM++ 2M": 0.501935, "Euler a": 0.80149698 },
} as const;

async function run(name: string, schedule: keyof typeof REFERENCE, extra: Partial<SamplerArgs> = {}) {
  const sigmas = toySigmas(schedule);
  const out = await SAMPLER_FUNCTIONS[name]({
    denoise: toyDenoise,
    x: Float32Array.of(sigmas[0]),
    sigmas,
    noise: constantNoise(0.5),
    ...extra,
  });
  return out[0];
}

describe("the toy-denoiser reference table (docs/engine-reference.md §2.8)", () => {
  for (const schedule of ["uniform", "karras", "exponential"] as const) {
    describe(schedule, () => {
      for (const name of ["Euler", "Heun", "LMS", "DPM++ 2M"] as const) {
        it(name, async () => {
          expect(Math.abs((await run(name, schedule)) - REFERENCE[schedule][name])).toBeLessThan(1e-5);
        });
      }
      it("Euler a (eta 1, ε ≡ +0.5 every step)", async () => {
        expect(Math.abs((await run("Euler a", schedule, { eta: 1 })) - REFERENCE[schedule]["Euler a"])).toBeLessThan(1e-5);
      });
    });
  }
});

describe("samplers that reduce to a referenced one", () => {
  for (const schedule of ["uniform", "karras", "exponential"] as const) {
    it(`DDIM at eta 0 is Euler (${schedule})`, async () => {
      expect(Math.abs((await run("DDIM", schedule)) - REFERENCE[schedule].Euler)).toBeLessThan(1e-5);
    });
    it(`DPM++ 2M SDE at eta 0 is DPM++ 2M (${schedule})`, async () => {
      expect(Math.abs((await run("DPM++ 2M SDE", schedule, { eta: 0 })) - REFERENCE[schedule]["DPM++ 2M"])).toBeLessThan(1e-5);
    });
  }
});
