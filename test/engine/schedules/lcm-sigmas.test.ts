import { describe, expect, it } from "vitest";
import { SAMPLERS, type SamplerDefinition } from "../../../lib/engine/samplers/registry.ts";
import { sigmasFor } from "../../../lib/engine/schedules/index.ts";
import { lcmBoundaryScalings, lcmModelSigmas } from "../../../lib/engine/schedules/lcm-sigmas.ts";
import { SD15 } from "./sd15.ts";

const lcm = lcmModelSigmas(SD15);

describe("the LCM schedule (A1111 modules/sd_samplers_lcm.py LCMCompVisDenoiser)", () => {
  it("keeps the 50 timesteps 19, 39, …, 999", () => {
    expect(lcm.sigmas).toHaveLength(50);
    for (let j = 0; j < 50; j++) expect(lcm.sigmas[j]).toBe(SD15.sigmas[19 + 20 * j]);
    expect(lcm.sigmaMin).toBe(SD15.sigmas[19]);
    expect(lcm.sigmaMax).toBe(SD15.sigmaMax);
  });

  it("snaps noise levels to the nearest of those timesteps", () => {
    expect(lcm.sigmaToT(SD15.sigmas[500])).toBe(499);
    expect(lcm.sigmaToT(SD15.sigmas[0])).toBe(19);
    expect(lcm.tToSigma(999)).toBeCloseTo(SD15.sigmaMax, 5);
  });

  it("is what LCM's Automatic schedule walks: timesteps from 999 down to 19, then 0", () => {
    const entry = SAMPLERS.find((s) => s.name === "LCM") as SamplerDefinition;
    const sigmas = sigmasFor({ sampler: entry, scheduler: "Automatic", steps: 4, model: SD15 });
    expect(sigmas).toHaveLength(5);
    expect(lcm.sigmaToT(sigmas[0])).toBe(999);
    expect(lcm.sigmaToT(sigmas[3])).toBe(19);
    expect(sigmas[4]).toBe(0);
  });
});

describe("LCM boundary scalings (get_scaled_out: σ_data 0.5, timestep × 10)", () => {
  it("are c_skip = ¼/(τ² + ¼) and c_out = τ/√(τ² + ¼), τ = 10·t", () => {
    const { cSkip, cOut } = lcmBoundaryScalings(19);
    expect(cSkip).toBeCloseTo(0.25 / (190 ** 2 + 0.25), 15);
    expect(cOut).toBeCloseTo(190 / Math.sqrt(190 ** 2 + 0.25), 15);
  });
});
