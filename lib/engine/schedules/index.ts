import type { SamplerEntry } from "../samplers/registry.ts";
import { SCHEDULERS, type SchedulerEntry } from "./registry.ts";
import { sigmasAlignYourSteps } from "./align-your-steps.ts";
import { sigmasBeta } from "./beta.ts";
import { sigmasExponential, sigmasPolyexponential } from "./exponential.ts";
import { sigmasKarras } from "./karras.ts";
import { sigmasKlOptimal } from "./kl-optimal.ts";
import { lcmModelSigmas } from "./lcm-sigmas.ts";
import type { ModelSigmas } from "./model-sigmas.ts";
import { sigmasDdim, sigmasSimple } from "./simple.ts";
import { ddimSigmas, ddimTimesteps, uniPcSigmas } from "./timesteps.ts";
import { sigmasNormal, sigmasSgmUniform, sigmasUniform } from "./uniform.ts";
import { vpModelSigmas } from "./vp-sigmas.ts";

export interface ScheduleParams {
  readonly model: ModelSigmas;
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  /** Left undefined, each schedule uses its own default (Karras 7, Polyexponential 1). */
  readonly rho?: number;
  /** Beta scheduler shape (A1111 opts.beta_dist_alpha / beta_dist_beta). */
  readonly betaAlpha?: number;
  readonly betaBeta?: number;
}

/** n steps' worth of noise levels, highest first (n + 1 values, ending in 0 except KL Optimal). */
export type ScheduleFunction = (n: number, params: ScheduleParams) => Float64Array;

/** Every catalog scheduler but "automatic", by its A1111 name (modules/sd_schedulers.py `schedulers`). */
export const SCHEDULE_FUNCTIONS: Readonly<Record<string, ScheduleFunction>> = {
  uniform: (n, { model }) => sigmasUniform(n, model),
  karras: (n, p) => sigmasKarras(n, p.sigmaMin, p.sigmaMax, p.rho),
  exponential: (n, p) => sigmasExponential(n, p.sigmaMin, p.sigmaMax),
  polyexponential: (n, p) => sigmasPolyexponential(n, p.sigmaMin, p.sigmaMax, p.rho),
  sgm_uniform: (n, p) => sigmasSgmUniform(n, p.model, p.sigmaMin, p.sigmaMax),
  kl_optimal: (n, p) => sigmasKlOptimal(n, p.sigmaMin, p.sigmaMax),
  align_your_steps: (n) => sigmasAlignYourSteps(n),
  simple: (n, { model }) => sigmasSimple(n, model),
  normal: (n, p) => sigmasNormal(n, p.model, p.sigmaMin, p.sigmaMax),
  ddim: (n, { model }) => sigmasDdim(n, model),
  beta: (n, p) => sigmasBeta(n, p.sigmaMin, p.sigmaMax, p.betaAlpha, p.betaBeta),
};

export interface ScheduleRequest {
  readonly sampler: SamplerEntry;
  /** Scheduler name or label ("karras", "Karras"); "Automatic" means the sampler's default. */
  readonly scheduler: string;
  readonly steps: number;
  /** The checkpoint's schedule (`modelSigmas`); samplers with their own discretisation derive it from this. */
  readonly model: ModelSigmas;
  /** A1111 opts.rho / sigma_min / sigma_max: each used only when non-zero and different from the default. */
  readonly rho?: number;
  readonly sigmaMin?: number;
  readonly sigmaMax?: number;
  readonly betaAlpha?: number;
  readonly betaBeta?: number;
}

/**
 * The schedule a sampler's denoiser works on, which also maps its noise levels to UNet timesteps: LCM has its
 * own 50-entry table (modules/sd_samplers_lcm.py) and UniPC interpolates ᾱ (uni_pc `NoiseScheduleVP`).
 */
export function samplerModelSigmas(sampler: SamplerEntry, model: ModelSigmas): ModelSigmas {
  if (sampler.name === "LCM") return lcmModelSigmas(model);
  if (sampler.name === "UniPC") return vpModelSigmas(model);
  return model;
}

/**
 * A1111 "Automatic" resolution (modules/sd_samplers_kdiffusion.py `KDiffusionSampler.get_sigmas`): the sampler's
 * own `scheduler` option; an unknown name, like a sampler without one, means the model's default discretisation.
 */
export function resolveScheduler(sampler: SamplerEntry, scheduler: string): SchedulerEntry | undefined {
  const requested = scheduler === "Automatic" || scheduler === "automatic" ? sampler.defaultScheduler : scheduler;
  const entry = SCHEDULERS.find((s) => s.name === requested || s.label === requested);
  return entry && entry.name !== "automatic" ? entry : undefined;
}

/**
 * The noise levels a txt2img sampler walks (highest first), with A1111's rules (`KDiffusionSampler.get_sigmas`):
 * the resolved scheduler, the σmin/σmax/ρ overrides, and `discard_next_to_last_sigma` (made for steps + 1,
 * then the penultimate value dropped). Timestep samplers ignore the scheduler, as A1111's `CompVisSampler` does.
 */
export function sigmasFor(request: ScheduleRequest): Float64Array {
  const { sampler } = request;
  const model = samplerModelSigmas(sampler, request.model);
  const steps = request.steps + (sampler.discardPenultimateSigma ? 1 : 0);
  if (sampler.family === "timesteps") return timestepSamplerSigmas(sampler, steps, model);

  const scheduler = resolveScheduler(sampler, request.scheduler);
  const sigmas = scheduler
    ? SCHEDULE_FUNCTIONS[scheduler.name](steps, {
        model,
        sigmaMin: override(request.sigmaMin, model.sigmaMin),
        sigmaMax: override(request.sigmaMax, model.sigmaMax),
        rho: scheduler.defaultRho === -1 ? undefined : override(request.rho, scheduler.defaultRho),
        betaAlpha: request.betaAlpha,
        betaBeta: request.betaBeta,
      })
    : sigmasUniform(steps, model);
  if (!sampler.discardPenultimateSigma) return sigmas;
  const discarded = sigmas.slice(0, sigmas.length - 1);
  discarded[discarded.length - 1] = sigmas[sigmas.length - 1];
  return discarded;
}

function override(value: number | undefined, fallback: number): number {
  return value !== undefined && value !== 0 ? value : fallback;
}

/** DDIM walks the table sigmas of A1111's timesteps; UniPC as many steps from t = 999 to t = 0. */
function timestepSamplerSigmas(sampler: SamplerEntry, steps: number, model: ModelSigmas): Float64Array {
  const timesteps = ddimTimesteps(steps, model.alphasCumprod.length);
  if (sampler.name === "UniPC") return uniPcSigmas(model.alphasCumprod.length - 1, timesteps.length, model);
  return ddimSigmas(timesteps, model);
}
