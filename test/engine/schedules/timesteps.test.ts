import { describe, expect, it } from "vitest";
import { SAMPLERS, type SamplerDefinition } from "../../../lib/engine/samplers/registry.ts";
import { txt2imgPlan } from "../../../lib/engine/schedules/plan.ts";
import { ddimTimesteps, uniPcSigmas, type UniPcSkipType } from "../../../lib/engine/schedules/timesteps.ts";
import { vpModelSigmas } from "../../../lib/engine/schedules/vp-sigmas.ts";
import { expectClose, SD15 } from "./sd15.ts";
import { UNIPC_TIMES } from "./unipc-times.ts";

const sampler = (name: string): SamplerDefinition => SAMPLERS.find((s) => s.name === name) as SamplerDefinition;

describe("DDIM timesteps (docs/a1111-semantics.md §5.1: clip(arange(0, 1000, 1000 // steps) + 1, 0, 999))", () => {
  it("are 1, 51, …, 951 for 20 steps", () => {
    expect(Array.from(ddimTimesteps(20))).toEqual(Array.from({ length: 20 }, (_, k) => 1 + 50 * k));
  });

  it("number more than `steps` when 1000 % steps is not 0", () => {
    expect(ddimTimesteps(30)).toHaveLength(31);
    expect(ddimTimesteps(30)[30]).toBe(991);
  });
});

describe("txt2img plans for the timestep samplers", () => {
  it("DDIM starts from unit noise in x_t (x = noise·√(1+σ²) in σ space) and returns x_t at t = 1", () => {
    const plan = txt2imgPlan({ sampler: sampler("DDIM"), scheduler: "Automatic", steps: 20, model: SD15 });
    expect(plan.sigmas[0]).toBe(SD15.sigmas[951]);
    expect(plan.noiseScale / Math.sqrt(1 + plan.sigmas[0] ** 2)).toBeCloseTo(1, 12);
    expect(plan.outputScale).toBeCloseTo(Math.sqrt(SD15.alphasCumprod[1]), 7);
    expect(plan.schedule.sigmaToT(plan.sigmas[0])).toBe(951);
  });

  it("UniPC feeds the UNet the time-uniform timesteps 999, 949.05, … (uni_pc get_time_steps)", () => {
    const plan = txt2imgPlan({ sampler: sampler("UniPC"), scheduler: "Automatic", steps: 20, model: SD15 });
    expectClose(Array.from(plan.sigmas, plan.schedule.sigmaToT), Array.from({ length: 21 }, (_, k) => 999 - 49.95 * k), 1e-6);
  });
});

describe("UniPC's ᾱ-interpolating schedule (uni_pc NoiseScheduleVP('discrete'))", () => {
  const vp = vpModelSigmas(SD15);

  it("agrees with the model table at integer timesteps", () => {
    for (const t of [0, 1, 500, 999]) expect(vp.tToSigma(t) / SD15.sigmas[t]).toBeCloseTo(1, 6);
  });

  it("interpolates log √ᾱ linearly in t, and inverts it", () => {
    const sigma = vp.tToSigma(10.5);
    const logAlpha = -0.5 * Math.log1p(sigma * sigma);
    expect(logAlpha).toBeCloseTo(0.25 * (Math.log(SD15.alphasCumprod[10]) + Math.log(SD15.alphasCumprod[11])), 10);
    expect(vp.sigmaToT(sigma)).toBeCloseTo(10.5, 9);
  });
});

describe("UniPC's skip types (A1111 opts.uni_pc_skip_type, uni_pc get_time_steps; unipc-times.ts)", () => {
  const vp = vpModelSigmas(SD15);

  for (const [key, { tStart, steps, times }] of Object.entries(UNIPC_TIMES)) {
    it(`${key}: the UNet timesteps of uni_pc's continuous times`, () => {
      const skipType = key.split("/")[1] as UniPcSkipType;
      const sigmas = uniPcSigmas(tStart, steps, vp, skipType);
      expectClose(Array.from(sigmas, vp.sigmaToT), [...times], 1e-6);
    });
  }

  it("spaces √t evenly for time_quadratic, with t = (τ + 1)/1000 for model timestep τ", () => {
    const roots = Array.from(uniPcSigmas(999, 4, vp, "time_quadratic"), (s) => Math.sqrt((vp.sigmaToT(s) + 1) / 1000));
    const gaps = roots.slice(1).map((r, i) => roots[i] - r);
    for (const gap of gaps) expect(gap).toBeCloseTo((1 - Math.sqrt(0.001)) / 4, 9);
  });

  it("spaces λ = −log σ evenly for logSNR, between the levels of tStart and 0", () => {
    const sigmas = uniPcSigmas(500, 5, vp, "logSNR");
    expect(sigmas[0]).toBeCloseTo(vp.tToSigma(500), 12);
    expect(sigmas[5]).toBeCloseTo(vp.tToSigma(0), 12);
    const lambdas = Array.from(sigmas, (s) => -Math.log(s));
    for (let i = 1; i < 5; i++) expect(lambdas[i + 1] - lambdas[i]).toBeCloseTo(lambdas[1] - lambdas[0], 12);
  });

  it("defaults to time_uniform, so three-argument callers keep their levels", () => {
    expect(uniPcSigmas(999, 20, vp)).toEqual(uniPcSigmas(999, 20, vp, "time_uniform"));
    expect(uniPcSigmas(999, 20, vp, "time_quadratic")).not.toEqual(uniPcSigmas(999, 20, vp));
  });
});
