import { describe, expect, it } from "vitest";
import { alphasCumprodFromConfig, modelSigmas } from "../../../lib/engine/schedules/model-sigmas.ts";
import { SD15, SD15_SCHEDULER_CONFIG } from "./sd15.ts";

describe("the SD 1.x training schedule (docs/engine-reference.md §2.1)", () => {
  it("has ᾱ_0 = 0.99915 and ᾱ_999 = 0.0046601", () => {
    expect(SD15.alphasCumprod[0]).toBeCloseTo(0.99915, 5);
    expect(SD15.alphasCumprod[999]).toBeCloseTo(0.0046601, 7);
  });

  it("has σmin = 0.0291675 and σmax = 14.614642", () => {
    expect(SD15.sigmaMin).toBeCloseTo(0.0291675, 7);
    expect(SD15.sigmaMax).toBeCloseTo(14.614642, 5);
    expect(SD15.sigmas).toHaveLength(1000);
  });

  it("stores ᾱ as float32, as ldm's register_schedule does", () => {
    for (const a of SD15.alphasCumprod.subarray(0, 50)) expect(Math.fround(a)).toBe(a);
  });
});

describe("sigmaToT / tToSigma (k-diffusion DiscreteSchedule)", () => {
  it("maps table sigmas to their integer timesteps and back", () => {
    for (const t of [0, 1, 51, 500, 951, 998, 999]) {
      expect(SD15.sigmaToT(SD15.sigmas[t])).toBe(t);
      expect(SD15.tToSigma(t) / SD15.sigmas[t]).toBeCloseTo(1, 6);
    }
  });

  it("interpolates log σ linearly between neighbours", () => {
    const between = SD15.tToSigma(500.25);
    expect(Math.log(between)).toBeCloseTo(0.75 * Math.log(SD15.sigmas[500]) + 0.25 * Math.log(SD15.sigmas[501]), 6);
    expect(SD15.sigmaToT(between)).toBeCloseTo(500.25, 4);
  });

  it("clamps noise levels outside the table to its ends", () => {
    expect(SD15.sigmaToT(0.001)).toBe(0);
    expect(SD15.sigmaToT(100)).toBe(999);
  });
});

describe("scheduler_config.json variants", () => {
  it("takes trained_betas as given", () => {
    const betas = Array.from({ length: 1000 }, (_, i) => (Math.sqrt(0.00085) + (i * (Math.sqrt(0.012) - Math.sqrt(0.00085))) / 999) ** 2);
    const trained = modelSigmas({ ...SD15_SCHEDULER_CONFIG, betaSchedule: "linear", trainedBetas: betas });
    expect(trained.sigmaMin).toBeCloseTo(SD15.sigmaMin, 7);
    expect(trained.sigmaMax).toBeCloseTo(SD15.sigmaMax, 4);
  });

  it("spaces betas linearly for beta_schedule linear: a constant β gives ᾱ_t = (1 − β)^(t+1)", () => {
    const alphas = alphasCumprodFromConfig({ betaStart: 0.01, betaEnd: 0.01, betaSchedule: "linear", numTrainTimesteps: 100, trainedBetas: null });
    expect(alphas[99]).toBeCloseTo(0.99 ** 100, 6);
  });

  it("rejects beta schedules it cannot build", () => {
    expect(() => modelSigmas({ ...SD15_SCHEDULER_CONFIG, betaSchedule: "squaredcos_cap_v2" })).toThrow(/squaredcos_cap_v2/);
  });
});
