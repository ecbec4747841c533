/**
 * The noise levels a sampler walks (highest first), with A1111's rules (`KDiffusionSampler.get_sigmas`): the
 * sampler's own schedule for "Automatic", the σmin/σmax/ρ overrides, and `discard_next_to_last_sigma`.
 */
import { samplerModelSigmas, type SamplerDefinition, type SamplerSettings } from "../samplers/registry.ts";
import type { ModelSigmas } from "./model-sigmas.ts";
import { AUTOMATIC, findScheduler, type SchedulerDefinition } from "./registry.ts";
import { ddimTimesteps } from "./timesteps.ts";

export interface ScheduleRequest {
  readonly sampler: SamplerDefinition;
  /** Scheduler name or label ("karras", "Karras"); "Automatic" means the sampler's default. */
  readonly scheduler: string;
  readonly steps: number;
  /** The checkpoint's schedule (`modelSigmas`); samplers with their own discretisation derive it from this. */
  readonly model: ModelSigmas;
  /** A1111 opts.rho / sigma_min / sigma_max: each used only when non-zero and different from the default. */
  readonly rho?: number;
  readonly sigmaMin?: number;
  readonly sigmaMax?: number;
  /** A1111 opts.beta_dist_alpha / beta_dist_beta (the Beta schedule's shape). */
  readonly betaAlpha?: number;
  readonly betaBeta?: number;
  /** A1111 opts.always_discard_next_to_last_sigma: discard for every sampler, not only those that ask for it. */
  readonly alwaysDiscardPenultimate?: boolean;
  /** The sampler's settings (UniPC reads its skip type here). */
  readonly settings?: SamplerSettings;
}

/**
 * The schedule that actually runs (A1111 `KDiffusionSampler.get_sigmas`): "Automatic" is the sampler's own
 * `options.scheduler`, and without one the model's default discretisation, which is "Uniform". Unknown names mean
 * the same (A1111 treats them as Automatic; the API refuses them before this point).
 */
export function effectiveScheduler(sampler: SamplerDefinition, scheduler: string | SchedulerDefinition): SchedulerDefinition {
  const entry = typeof scheduler === "string" ? findScheduler(scheduler) : scheduler;
  if (entry && entry !== AUTOMATIC) return entry;
  return findScheduler(sampler.defaultScheduler ?? "uniform")!;
}

export function discardsPenultimate(request: Pick<ScheduleRequest, "sampler" | "alwaysDiscardPenultimate">): boolean {
  return request.sampler.discardPenultimateSigma || request.alwaysDiscardPenultimate === true;
}

/** Txt2img's noise levels: `steps` steps of the resolved schedule (timestep samplers: their own discretisation). */
export function sigmasFor(request: ScheduleRequest): Float64Array {
  const { sampler } = request;
  const model = samplerModelSigmas(sampler, request.model);
  const discard = discardsPenultimate(request);
  const steps = request.steps + (discard ? 1 : 0);
  if (sampler.family === "timesteps") {
    const timesteps = ddimTimesteps(steps, model.alphasCumprod.length);
    return timestepSigmas(sampler, timesteps, model.alphasCumprod.length - 1, model, request.settings);
  }
  const scheduler = effectiveScheduler(sampler, request.scheduler);
  const sigmas = scheduler.sigmas!(steps, {
    model,
    sigmaMin: override(request.sigmaMin, model.sigmaMin),
    sigmaMax: override(request.sigmaMax, model.sigmaMax),
    rho: scheduler.defaultRho === -1 ? undefined : override(request.rho, scheduler.defaultRho),
    betaAlpha: request.betaAlpha ?? 0.6,
    betaBeta: request.betaBeta ?? 0.6,
  });
  if (!discard) return sigmas;
  const discarded = sigmas.slice(0, sigmas.length - 1);
  discarded[discarded.length - 1] = sigmas[sigmas.length - 1];
  return discarded;
}

/**
 * A timestep sampler's noise levels over A1111's (ascending) timesteps: DDIM visits their table sigmas; UniPC
 * spaces its own levels from `tStart` down (its `skip_type`).
 */
export function timestepSigmas(
  sampler: SamplerDefinition,
  timesteps: Int32Array,
  tStart: number,
  schedule: ModelSigmas,
  settings?: SamplerSettings,
): Float64Array {
  if (!sampler.timestepSigmas) throw new Error(`${sampler.name} is not a timestep sampler`);
  return sampler.timestepSigmas(timesteps, tStart, schedule, settings);
}

function override(value: number | undefined, fallback: number): number {
  return value !== undefined && value !== 0 ? value : fallback;
}
