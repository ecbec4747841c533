import { describe, expect, it } from "vitest";
import { SAMPLERS } from "../../../lib/engine/samplers/registry.ts";
import { sampleDpmppSde } from "../../../lib/engine/samplers/dpmpp-sde.ts";
import { sampleEuler } from "../../../lib/engine/samplers/euler.ts";
import type { SamplerArgs } from "../../../lib/engine/samplers/types.ts";
import { SAMPLER_FUNCTIONS, constantNoise, gaussianNoise, toyDenoise, toySigmas } from "./toy.ts";

async function count(name: string, extra: Partial<SamplerArgs> = {}) {
  const n = 10;
  // The timestep samplers' walks end above σ = 0 (DDIM at t = 1, UniPC at t = 0, σmin).
  const sigmas = name === "DDIM" || name === "UniPC" ? toySigmas("karras", n).subarray(0, n) : toySigmas("karras", n);
  const counts = { denoise: 0, noise: 0, steps: sigmas.length - 1 };
  const draw = gaussianNoise(1);
  await SAMPLER_FUNCTIONS[name]({
    denoise: async (x, sigma) => {
      counts.denoise++;
      return toyDenoise(x, sigma);
    },
    x: Float32Array.of(sigmas[0]),
    sigmas,
    noise: () => {
      counts.noise++;
      return draw();
    },
    ...extra,
  });
  return counts;
}

describe("denoiser calls per step (A1111 second_order)", () => {
  for (const entry of SAMPLERS) {
    it(`${entry.name}: ${entry.secondOrder ? "two per step but the last" : "one per step"}`, async () => {
      const { denoise, steps } = await count(entry.name, { eta: 1 });
      expect(denoise).toBe(entry.secondOrder ? 2 * steps - 1 : steps);
    });
  }
});

describe("noise draws (each from noise(), as k-diffusion's randn_like / noise_sampler calls)", () => {
  it("ancestral and SDE samplers draw once per step that ends above σ = 0; DPM++ SDE twice", async () => {
    for (const name of ["Euler a", "DPM2 a", "DPM++ 2S a", "DPM++ 2M SDE", "DPM++ 2M SDE Heun", "DPM++ 3M SDE", "LCM"]) {
      const { noise, steps } = await count(name, { eta: 1 });
      expect(noise, name).toBe(steps - 1);
    }
    const { noise, steps } = await count("DPM++ SDE", { eta: 1 });
    expect(noise).toBe(2 * (steps - 1));
  });

  it("DDIM draws every step with eta > 0 (its walk ends at t = 1, above 0) and never at eta 0", async () => {
    const noisy = await count("DDIM", { eta: 0.5 });
    expect(noisy.noise).toBe(noisy.steps);
    expect((await count("DDIM")).noise).toBe(0);
  });

  it("Euler, Heun and DPM2 draw every step while churn is on, and never without it", async () => {
    for (const name of ["Euler", "Heun", "DPM2"]) {
      const churned = await count(name, { sChurn: 1 });
      expect(churned.noise, name).toBe(churned.steps);
      expect((await count(name)).noise, name).toBe(0);
    }
  });
});

describe("Euler churn (Karras et al. 2022 Algorithm 2)", () => {
  const sigmas = toySigmas("karras", 10);
  const base = { denoise: toyDenoise, x: Float32Array.of(sigmas[0]), sigmas, noise: constantNoise(0) };

  it("changes the path when σ lies in [sTmin, sTmax]", async () => {
    const plain = await sampleEuler(base);
    const churned = await sampleEuler({ ...base, sChurn: 1 });
    expect(Math.abs(churned[0] - plain[0])).toBeGreaterThan(1e-3);
  });

  it("leaves steps outside [sTmin, sTmax] alone", async () => {
    const plain = await sampleEuler(base);
    const outside = await sampleEuler({ ...base, sChurn: 1, sTmin: 100, sTmax: 200 });
    expect(outside[0]).toBe(plain[0]);
  });
});

describe("DPM++ SDE noise in place of the Brownian tree", () => {
  it("makes a step's second draw correlate with its first by ρ = √((σ − σ_s)/(σ − σ_next))", async () => {
    const length = 40000;
    const [sigma, sigmaNext] = [2, 0.5];
    const sigmaMid = Math.sqrt(sigma * sigmaNext);
    const draw = gaussianNoise(length, 3);
    let first: Float32Array | undefined;
    const out = await sampleDpmppSde({
      // A denoiser that always answers 0 leaves only the added noise in x.
      denoise: async (x) => new Float32Array(x.length),
      x: new Float32Array(length),
      sigmas: [sigma, sigmaNext],
      noise: () => {
        const n = draw();
        first ??= n;
        return n;
      },
    });
    const n1 = first as Float32Array;
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let k = 0; k < length; k++) {
      xy += out[k] * n1[k];
      xx += out[k] * out[k];
      yy += n1[k] * n1[k];
    }
    expect(xy / Math.sqrt(xx * yy)).toBeCloseTo(Math.sqrt((sigma - sigmaMid) / (sigma - sigmaNext)), 1);
  });
});
