import { samplerModelSigmas } from "../samplers/registry.ts";
import { img2imgSteps } from "./img2img.ts";
import { type ScheduleRequest, sigmasFor, timestepSigmas } from "./index.ts";
import type { ModelSigmas } from "./model-sigmas.ts";
import { ddimTimesteps } from "./timesteps.ts";

/**
 * Everything the pipeline needs to run one sampler the way A1111 does. Samplers work in k-diffusion's space
 * (x = x0 + σ·ε); A1111's timestep samplers (DDIM, UniPC) work on x_t = √ᾱ·x0 + √(1−ᾱ)·ε = x/√(1+σ²), which
 * the scales below translate to and from, so their UNet inputs (x·c_in, t) are A1111's exactly.
 */
export interface SamplingPlan {
  /** The noise levels the sampler walks, highest first; one step between each neighbouring pair. */
  readonly sigmas: Float64Array;
  /** Maps each σ to the UNet timestep (`sigmaToT`): some samplers have their own (`SamplerDefinition.modelSigmas`). */
  readonly schedule: ModelSigmas;
  /** Start latent: x = initLatent·initScale + noise·noiseScale (txt2img: initScale 0). */
  readonly initScale: number;
  readonly noiseScale: number;
  /** The latent to decode is the sampler's result × outputScale (x_t at the last timestep for DDIM/UniPC). */
  readonly outputScale: number;
}

export interface Img2imgRequest extends ScheduleRequest {
  readonly denoisingStrength: number;
  /** A1111 opts.img2img_fix_steps, and always true on the hires pass. */
  readonly fixSteps: boolean;
}

/** txt2img: k-diffusion starts from noise·σ0 (`KDiffusionSampler.sample`); timestep samplers from unit noise x_t. */
export function txt2imgPlan(request: ScheduleRequest): SamplingPlan {
  const sigmas = sigmasFor(request);
  const schedule = samplerModelSigmas(request.sampler, request.model);
  if (request.sampler.family === "k-diffusion") {
    return { sigmas, schedule, initScale: 0, noiseScale: sigmas[0], outputScale: 1 };
  }
  const first = sigmas[0];
  return { sigmas, schedule, initScale: 0, noiseScale: Math.sqrt(1 + first * first), outputScale: xtScale(sigmas) };
}

/**
 * img2img (`sample_img2img`): k-diffusion cuts the schedule for `scheduleSteps` at index scheduleSteps − tEnc − 1
 * and noises the init latent to that σ. Timestep samplers walk `timesteps[:tEnc]` from its top, after noising to
 * the next timestep up, `timesteps[tEnc]` (one step above where they start, as A1111 does).
 */
export function img2imgPlan(request: Img2imgRequest): SamplingPlan {
  const { scheduleSteps, tEnc } = img2imgSteps(request.steps, request.denoisingStrength, request.fixSteps);
  const schedule = samplerModelSigmas(request.sampler, request.model);
  if (request.sampler.family === "k-diffusion") {
    const sigmas = sigmasFor({ ...request, steps: scheduleSteps }).slice(scheduleSteps - tEnc - 1);
    return { sigmas, schedule, initScale: 1, noiseScale: sigmas[0], outputScale: 1 };
  }

  const timesteps = ddimTimesteps(scheduleSteps, request.model.alphasCumprod.length);
  const walked = timesteps.subarray(0, tEnc);
  const tStart = walked.length > 0 ? walked[walked.length - 1] : 0;
  const sigmas = timestepSigmas(request.sampler, walked, tStart, schedule, request.settings);
  // x_t = √ᾱ_e·init + √(1−ᾱ_e)·noise at e = timesteps[tEnc], read as x_t of the first walked level.
  const alphaCumprod = request.model.alphasCumprod[timesteps[tEnc]];
  const toK = sigmas.length > 0 ? Math.sqrt(1 + sigmas[0] * sigmas[0]) : 1 / Math.sqrt(alphaCumprod);
  return {
    sigmas,
    schedule,
    initScale: Math.sqrt(alphaCumprod) * toK,
    noiseScale: Math.sqrt(1 - alphaCumprod) * toK,
    outputScale: sigmas.length > 0 ? xtScale(sigmas) : 1 / toK,
  };
}

/** x_t = x/√(1+σ²) at the last level: A1111 decodes the timestep samplers' x_t as they leave it. */
function xtScale(sigmas: Float64Array): number {
  const last = sigmas[sigmas.length - 1];
  return 1 / Math.sqrt(1 + last * last);
}
