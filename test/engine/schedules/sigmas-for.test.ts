import { describe, expect, it } from "vitest";
import { SAMPLERS, type SamplerDefinition } from "../../../lib/engine/samplers/registry.ts";
import { effectiveScheduler, sigmasFor } from "../../../lib/engine/schedules/index.ts";
import { sigmasExponential } from "../../../lib/engine/schedules/exponential.ts";
import { sigmasKarras } from "../../../lib/engine/schedules/karras.ts";
import { sigmasUniform } from "../../../lib/engine/schedules/uniform.ts";
import { expectClose, SD15 } from "./sd15.ts";

const sampler = (name: string): SamplerDefinition => {
  const entry = SAMPLERS.find((s) => s.name === name);
  if (!entry) throw new Error(name);
  return entry;
};
const { sigmaMin, sigmaMax } = SD15;

describe("Automatic (docs/a1111-semantics.md §5.2: the sampler's options.scheduler, else the model's get_sigmas)", () => {
  it("uses Karras for DPM++ 2M and Exponential for DPM++ 2M SDE", () => {
    expectClose(sigmasFor({ sampler: sampler("DPM++ 2M"), scheduler: "Automatic", steps: 10, model: SD15 }), Array.from(sigmasKarras(10, sigmaMin, sigmaMax)), 0);
    expectClose(sigmasFor({ sampler: sampler("DPM++ 2M SDE"), scheduler: "Automatic", steps: 10, model: SD15 }), Array.from(sigmasExponential(10, sigmaMin, sigmaMax)), 0);
  });

  it("uses the model's own discretisation for Euler, which has no default", () => {
    expectClose(sigmasFor({ sampler: sampler("Euler"), scheduler: "Automatic", steps: 10, model: SD15 }), Array.from(sigmasUniform(10, SD15)), 0);
    expect(effectiveScheduler(sampler("Euler"), "Automatic").name).toBe("uniform");
  });

  it("accepts names and labels (schedulers_map), and falls back to the model's default for unknown ones", () => {
    expect(effectiveScheduler(sampler("Euler"), "karras").name).toBe("karras");
    expect(effectiveScheduler(sampler("Euler"), "SGM Uniform").name).toBe("sgm_uniform");
    expectClose(sigmasFor({ sampler: sampler("Euler"), scheduler: "no such thing", steps: 10, model: SD15 }), Array.from(sigmasUniform(10, SD15)), 0);
  });
});

describe("discard_next_to_last_sigma (docs/a1111-semantics.md §5.1)", () => {
  it("makes DPM2's schedule for steps + 1 and drops the penultimate value", () => {
    const sigmas = sigmasFor({ sampler: sampler("DPM2"), scheduler: "Automatic", steps: 10, model: SD15 });
    const longer = sigmasKarras(11, sigmaMin, sigmaMax);
    expect(sigmas).toHaveLength(11);
    expectClose(sigmas, [...Array.from(longer.subarray(0, 10)), 0], 0);
  });

  it("leaves other samplers' schedules as they are", () => {
    expect(sigmasFor({ sampler: sampler("Euler a"), scheduler: "Karras", steps: 10, model: SD15 })).toHaveLength(11);
  });
});

describe("schedule overrides (opts.sigma_min / sigma_max / rho: used when non-zero)", () => {
  it("replaces σmin, σmax and ρ", () => {
    const sigmas = sigmasFor({ sampler: sampler("Euler"), scheduler: "karras", steps: 10, model: SD15, sigmaMin: 0.1, sigmaMax: 10, rho: 5 });
    expectClose(sigmas, Array.from(sigmasKarras(10, 0.1, 10, 5)), 0);
  });

  it("ignores zeros, and ρ for schedules without one", () => {
    const sigmas = sigmasFor({ sampler: sampler("Euler"), scheduler: "exponential", steps: 10, model: SD15, sigmaMin: 0, sigmaMax: 0, rho: 3 });
    expectClose(sigmas, Array.from(sigmasExponential(10, sigmaMin, sigmaMax)), 0);
  });
});

describe("timestep samplers ignore the scheduler, as A1111's CompVisSampler does", () => {
  it("DDIM walks the table sigmas of timesteps 951, 901, …, 1 for 20 steps", () => {
    const sigmas = sigmasFor({ sampler: sampler("DDIM"), scheduler: "Karras", steps: 20, model: SD15 });
    expectClose(sigmas, Array.from({ length: 20 }, (_, k) => SD15.sigmas[951 - 50 * k]), 0);
  });

  it("UniPC runs 20 steps from t = 999 to t = 0", () => {
    const sigmas = sigmasFor({ sampler: sampler("UniPC"), scheduler: "Automatic", steps: 20, model: SD15 });
    expect(sigmas).toHaveLength(21);
    expect(sigmas[0]).toBeCloseTo(sigmaMax, 5);
    expect(sigmas[20]).toBeCloseTo(sigmaMin, 7);
  });
});
