import { describe, expect, it } from "vitest";
import { SAMPLERS, type SamplerDefinition } from "../../../lib/engine/samplers/registry.ts";
import { img2imgSteps } from "../../../lib/engine/schedules/img2img.ts";
import { sigmasFor } from "../../../lib/engine/schedules/index.ts";
import { img2imgPlan, txt2imgPlan } from "../../../lib/engine/schedules/plan.ts";
import { ddimTimesteps } from "../../../lib/engine/schedules/timesteps.ts";
import { expectClose, SD15 } from "./sd15.ts";

const sampler = (name: string): SamplerDefinition => SAMPLERS.find((s) => s.name === name) as SamplerDefinition;

describe("img2img step arithmetic (docs/a1111-semantics.md §8, setup_img2img_steps)", () => {
  it("20 steps at denoising 0.75: t_enc 15", () => {
    expect(img2imgSteps(20, 0.75, false)).toEqual({ scheduleSteps: 20, tEnc: 15 });
  });

  it("caps the strength at 0.999", () => {
    expect(img2imgSteps(20, 1, false)).toEqual({ scheduleSteps: 20, tEnc: 19 });
  });

  it("with fix_steps builds int(s / min(d, 0.999)) steps and runs exactly s", () => {
    expect(img2imgSteps(20, 0.75, true)).toEqual({ scheduleSteps: 26, tEnc: 19 });
    expect(img2imgSteps(20, 0.5, true)).toEqual({ scheduleSteps: 40, tEnc: 19 });
  });
});

describe("img2img plans, k-diffusion", () => {
  const request = { sampler: sampler("Euler"), scheduler: "Automatic", steps: 20, model: SD15 };

  it("runs 16 steps from sigmas[4] for 20 steps at 0.75, noising the init latent to that σ", () => {
    const full = sigmasFor(request);
    const plan = img2imgPlan({ ...request, denoisingStrength: 0.75, fixSteps: false });
    expect(plan.sigmas).toHaveLength(17);
    expectClose(plan.sigmas, Array.from(full.subarray(4)), 0);
    expect(plan).toMatchObject({ initScale: 1, noiseScale: full[4], outputScale: 1 });
  });

  it("runs exactly `steps` steps with fix_steps", () => {
    const plan = img2imgPlan({ ...request, denoisingStrength: 0.5, fixSteps: true });
    expect(plan.sigmas).toHaveLength(21);
    expect(plan.sigmas[0]).toBe(sigmasFor({ ...request, steps: 40 })[20]);
  });

  it("txt2img starts from noise·σ0", () => {
    expect(txt2imgPlan(request)).toMatchObject({ initScale: 0, noiseScale: sigmasFor(request)[0], outputScale: 1 });
  });
});

describe("img2img plans, DDIM family (docs/a1111-semantics.md §8: x = √ᾱ_t·init + √(1−ᾱ_t)·noise at timesteps[t_enc])", () => {
  const request = { sampler: sampler("DDIM"), scheduler: "Automatic", steps: 20, model: SD15, denoisingStrength: 0.75, fixSteps: false };
  const timesteps = ddimTimesteps(20);

  it("walks timesteps[:t_enc] from the top: 701 down to 1 for t_enc 15", () => {
    const plan = img2imgPlan(request);
    expectClose(plan.sigmas, Array.from({ length: 15 }, (_, k) => SD15.sigmas[timesteps[14 - k]]), 0);
  });

  it("noises the init latent to timesteps[t_enc] = 751, read as x_t of the first level walked", () => {
    const plan = img2imgPlan(request);
    const alpha = SD15.alphasCumprod[751];
    const toXt = 1 / Math.sqrt(1 + plan.sigmas[0] ** 2);
    expect(plan.initScale * toXt).toBeCloseTo(Math.sqrt(alpha), 12);
    expect(plan.noiseScale * toXt).toBeCloseTo(Math.sqrt(1 - alpha), 12);
  });

  it("hands back x_t of the last level walked (t = 1), which A1111 decodes", () => {
    const plan = img2imgPlan(request);
    expect(plan.outputScale).toBeCloseTo(Math.sqrt(SD15.alphasCumprod[1]), 7);
  });

  it("UniPC walks t_enc steps from timesteps[t_enc − 1] to t = 0 on its own schedule", () => {
    const plan = img2imgPlan({ ...request, sampler: sampler("UniPC") });
    expect(plan.sigmas).toHaveLength(16);
    expect(plan.schedule.sigmaToT(plan.sigmas[0])).toBeCloseTo(701, 6);
    expect(plan.schedule.sigmaToT(plan.sigmas[15])).toBeCloseTo(0, 6);
  });

  it("leaves the noised latent as it is when nothing is walked (t_enc 0)", () => {
    const plan = img2imgPlan({ ...request, denoisingStrength: 0.01 });
    expect(plan.sigmas).toHaveLength(0);
    expect(plan.initScale * plan.outputScale).toBeCloseTo(Math.sqrt(SD15.alphasCumprod[1]), 12);
  });
});
