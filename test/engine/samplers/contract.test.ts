import { describe, expect, it } from "vitest";
import { findSampler, SAMPLERS, totalSteps } from "../../../lib/engine/samplers/registry.ts";
import type { StepInfo } from "../../../lib/engine/samplers/types.ts";
import { gaussianNoise, SAMPLER_FUNCTIONS, toyDenoise, toySigmas } from "./toy.ts";

const sigmasFor = (name: string) => (name === "UniPC" ? toySigmas("karras", 8).subarray(0, 8) : toySigmas("karras", 8));

describe("the sampler registry", () => {
  it("has one entry per name, and finds each by its aliases", () => {
    for (const sampler of SAMPLERS) {
      for (const name of [sampler.name, ...sampler.aliases, sampler.name.toUpperCase()]) expect(findSampler(name)).toBe(sampler);
    }
  });

  it("lists the settings each sampler reads as A1111 passes them (sampler_extra_params and eta)", () => {
    const reads = (name: string) => [...SAMPLERS.find((s) => s.name === name)!.reads].sort();
    expect(reads("Euler")).toEqual(["s_churn", "s_noise", "s_tmax", "s_tmin"]);
    expect(reads("Euler a")).toEqual(["eta"]);
    expect(reads("DPM++ 2M")).toEqual([]);
    expect(reads("DDIM")).toEqual(["eta"]);
    expect(reads("UniPC")).toEqual(["uni_pc"]);
  });
});

describe("totalSteps (A1111 SamplerData.total_steps)", () => {
  it("doubles the steps of second-order samplers only", () => {
    const byName = (name: string) => SAMPLERS.find((s) => s.name === name)!;
    expect(totalSteps(byName("Heun"), 20)).toBe(40);
    expect(totalSteps(byName("DPM++ SDE"), 20)).toBe(40);
    expect(totalSteps(byName("Euler"), 20)).toBe(20);
  });
});

describe("options as A1111 passes them (sampler_extra_params)", () => {
  const sigmas = toySigmas("karras", 8);
  const run = (name: string, sNoise: number) =>
    SAMPLER_FUNCTIONS[name]({ denoise: toyDenoise, x: Float32Array.of(sigmas[0]), sigmas, noise: gaussianNoise(1), eta: 1, sNoise });

  it("Euler a and DDIM get no s_noise", async () => {
    for (const name of ["Euler a", "DDIM"]) expect((await run(name, 0))[0], name).toBe((await run(name, 1))[0]);
  });

  it("the other noisy samplers scale their noise by it", async () => {
    for (const name of ["DPM2 a", "DPM++ 2S a", "DPM++ SDE", "DPM++ 2M SDE", "DPM++ 3M SDE"]) {
      expect((await run(name, 0))[0], name).not.toBe((await run(name, 1))[0]);
    }
  });
});

describe("the sampler contract", () => {
  for (const [name, sample] of Object.entries(SAMPLER_FUNCTIONS)) {
    describe(name, () => {
      it("awaits onStep once per step, in order, with i, total, σ and a denoised estimate", async () => {
        const sigmas = sigmasFor(name);
        const seen: StepInfo[] = [];
        let pending = 0;
        await sample({
          denoise: async (x, sigma) => {
            expect(pending).toBe(0);
            return toyDenoise(x, sigma);
          },
          x: Float32Array.of(sigmas[0], -sigmas[0]),
          sigmas,
          noise: gaussianNoise(2),
          onStep: async (info) => {
            pending++;
            await new Promise((resolve) => setTimeout(resolve, 1));
            pending--;
            seen.push(info);
          },
        });
        expect(seen.map((s) => s.i)).toEqual(Array.from({ length: sigmas.length - 1 }, (_, i) => i));
        for (const info of seen) {
          expect(info.total).toBe(sigmas.length - 1);
          expect(info.sigma).toBe(sigmas[info.i]);
          expect(info.denoised).toHaveLength(2);
        }
      });

      it("leaves its input latent untouched", async () => {
        const sigmas = sigmasFor(name);
        const x = Float32Array.of(sigmas[0], 1);
        await sample({ denoise: toyDenoise, x, sigmas, noise: gaussianNoise(2) });
        expect(Array.from(x)).toEqual([Math.fround(sigmas[0]), 1]);
      });

      it("stops when onStep throws (interrupt)", async () => {
        const sigmas = sigmasFor(name);
        let calls = 0;
        const run = sample({
          denoise: async (x, sigma) => {
            calls++;
            return toyDenoise(x, sigma);
          },
          x: Float32Array.of(sigmas[0]),
          sigmas,
          noise: gaussianNoise(1),
          onStep: ({ i }) => {
            if (i === 1) throw new Error("interrupted");
          },
        });
        await expect(run).rejects.toThrow("interrupted");
        expect(calls).toBeLessThanOrEqual(4);
      });
    });
  }
});
