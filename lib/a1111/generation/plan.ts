/**
 * What an A1111 request resolves to before any model runs: seeds per image, prompts per image, sampler and
 * schedule, sizes, hires fix, and the engine's generation plan. The CI fake and the engine both start from this, so
 * they agree on everything a client can see (docs/a1111-semantics.md).
 */
import type { GenerationPlan, RgbImage, SamplingSpec } from "../../engine/plan.ts";
import { allSeeds, allSubseeds, fixSeed } from "../../engine/rng/seeds.ts";
import type { SamplerDefinition } from "../../engine/samplers/registry.ts";
import { effectiveScheduler } from "../../engine/schedules/index.ts";
import { AUTOMATIC } from "../../engine/schedules/registry.ts";
import type { SchedulerDefinition } from "../../engine/schedules/registry.ts";
import { pyFloat, type PyValue } from "../infotext/python-format.ts";
import { resolveSampler, scheduleTypeLabel, type ResolvedSampler } from "../sampler-names.ts";
import type { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";
import type { Options } from "../schemas/options.ts";
import { planHires, type HiresPlan } from "./hires.ts";
import type { GenerationJob } from "./job.ts";
import { checkExtraNetworks, withoutNetworks } from "./networks.ts";
import { ignoredSettingWarnings, passSettings } from "./sampling.ts";

export interface RequestPlan {
  type: GenerationJob["type"];
  request: Txt2ImgRequest | Img2ImgRequest;
  options: Options;
  seed: number;
  subseed: number;
  seeds: number[];
  subseeds: number[];
  /** As written, one per image (the infotext shows extra-network tags). */
  prompts: string[];
  negativePrompts: string[];
  sampler: ResolvedSampler;
  /** The schedule that runs (Automatic resolved). */
  schedule: SchedulerDefinition;
  /** The infotext's "Schedule type". */
  scheduleType: string;
  /** First-pass pixels: A1111 samples a width//8 × height//8 latent, so the image is the multiple of 8 below. */
  baseWidth: number;
  baseHeight: number;
  /** The images' size: the first pass's, or hires fix's target. */
  outputWidth: number;
  outputHeight: number;
  /** txt2img with enable_hr: the second pass. */
  hires: HiresPlan | null;
  batchSize: number;
  nIter: number;
  imageCount: number;
  /** Eta the first pass runs with (0 for samplers without eta). */
  eta: number;
  /** The first pass's settings, as the engine takes them. */
  sampling: SamplingSpec;
  /** Infotext entries from the request's settings, in A1111's insertion order. */
  extra: Record<string, PyValue>;
  /** Settings the request set that its samplers do not read. */
  warnings: string[];
  /** "%Y%m%d%H%M%S" of the job start, UTC. */
  jobTimestamp: string;
}

/** A1111's `job_timestamp`: "%Y%m%d%H%M%S" in UTC. */
export function jobTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

export interface PlanEnvironment {
  now?: Date;
  /** Draws the seed for -1 (A1111: uniform on [0, 4294967293]). */
  drawSeed?: () => number;
}

/**
 * Infotext entries for the options in force, in the order A1111 inserts them into `extra_generation_params` for the
 * first batch: the text encoder's (`Emphasis`, set while the conds are built), img2img's `Noise multiplier` (set in
 * `sample`), then the sampler's `get_sigmas` (schedule overrides), then its `initialize` (eta and churn: `samplerExtra`).
 */
function optionExtras(
  plan: Pick<RequestPlan, "type" | "request" | "options" | "sampler" | "schedule">,
  noiseMultiplier: number,
  samplerExtra: Record<string, PyValue>,
): Record<string, PyValue> {
  const o = plan.options;
  const extra: Record<string, PyValue> = {};
  const prompt = plan.request.prompt + plan.request.negative_prompt;
  if (o.emphasis !== "Original" && /[([]/.test(prompt)) extra["Emphasis"] = o.emphasis;
  if (plan.type === "img2img" && noiseMultiplier !== 1) extra["Noise multiplier"] = pyFloat(noiseMultiplier);
  if (o.always_discard_next_to_last_sigma && !plan.sampler.sampler.discardPenultimateSigma) extra["Discard penultimate sigma"] = true;
  // sd_samplers_kdiffusion.py `get_sigmas`: Automatic with no sampler default runs the model's own sigmas, which
  // take no overrides and record none.
  const scheduled = plan.sampler.scheduler !== AUTOMATIC || plan.sampler.sampler.defaultScheduler !== undefined;
  if (scheduled) {
    if (o.sigma_min) extra["Schedule min sigma"] = pyFloat(o.sigma_min);
    if (o.sigma_max) extra["Schedule max sigma"] = pyFloat(o.sigma_max);
    const defaultRho = plan.schedule.defaultRho;
    if (defaultRho !== -1 && o.rho !== 0 && o.rho !== defaultRho) extra["Schedule rho"] = pyFloat(o.rho);
    if (plan.schedule.name === "beta") {
      extra["Beta schedule alpha"] = pyFloat(o.beta_dist_alpha);
      extra["Beta schedule beta"] = pyFloat(o.beta_dist_beta);
    }
  }
  return { ...extra, ...samplerExtra };
}

export function noiseMultiplier(job: GenerationJob): number {
  return job.type === "img2img" ? (job.request.initial_noise_multiplier ?? job.options.initial_noise_multiplier) : 1;
}

export function planRequest(job: GenerationJob, env: PlanEnvironment = {}): RequestPlan {
  const { request, options } = job;
  checkExtraNetworks(request);
  const resolved = resolveSampler(request.sampler_name ?? request.sampler_index, request.scheduler);
  // The request schema already rejected unknown names; reaching this is a programming error.
  if ("error" in resolved) throw new Error(`unresolvable ${resolved.error} in a validated request`);
  // A1111 (`StableDiffusionProcessingImg2Img.init`): one init image is repeated batch_size times; 2…batch_size
  // images set the batch size to their count.
  const initImages = job.type === "img2img" ? (job.request.init_images?.length ?? 0) : 0;
  const batchSize = initImages > 1 ? initImages : request.batch_size;
  const imageCount = batchSize * request.n_iter;
  const seed = fixSeed(request.seed, env.drawSeed);
  const subseed = fixSeed(request.subseed, env.drawSeed);
  const hires = job.type === "txt2img" && job.request.enable_hr ? planHires(job.request, resolved, options) : null;
  const baseWidth = Math.floor(request.width / 8) * 8;
  const baseHeight = Math.floor(request.height / 8) * 8;
  const schedule = effectiveScheduler(resolved.sampler, resolved.scheduler);
  const first = passSettings(resolved.sampler, schedule.name, request.steps, request, options);
  const samplers: SamplerDefinition[] = hires ? [resolved.sampler, hires.sampler.sampler] : [resolved.sampler];
  return {
    type: job.type,
    request,
    options,
    seed,
    subseed,
    seeds: allSeeds(seed, imageCount, request.subseed_strength),
    subseeds: allSubseeds(subseed, imageCount),
    prompts: Array.from({ length: imageCount }, () => request.prompt),
    negativePrompts: Array.from({ length: imageCount }, () => request.negative_prompt),
    sampler: resolved,
    schedule,
    scheduleType: scheduleTypeLabel(resolved),
    baseWidth,
    baseHeight,
    outputWidth: hires?.width ?? baseWidth,
    outputHeight: hires?.height ?? baseHeight,
    hires,
    batchSize,
    nIter: request.n_iter,
    imageCount,
    eta: first.spec.settings.eta,
    sampling: first.spec,
    extra: optionExtras({ type: job.type, request, options, sampler: resolved, schedule }, noiseMultiplier(job), first.extra),
    warnings: ignoredSettingWarnings(request, samplers),
    jobTimestamp: jobTimestamp(env.now ?? new Date()),
  };
}


/** The engine's plan for a request plan, with the client's init images already decoded. */
export function enginePlan(plan: RequestPlan, initImages: readonly RgbImage[]): GenerationPlan {
  const { request: r, options: o } = plan;
  const img2img = plan.type === "img2img" ? (r as Img2ImgRequest) : null;
  const hires = plan.hires;
  return {
    width: plan.baseWidth,
    height: plan.baseHeight,
    batchSize: plan.batchSize,
    batchCount: plan.nIter,
    prompts: withoutNetworks(plan.prompts),
    negativePrompts: plan.negativePrompts,
    seeds: plan.seeds,
    subseeds: plan.subseeds,
    subseedStrength: r.subseed_strength,
    seedResizeFrom: r.seed_resize_from_w > 0 && r.seed_resize_from_h > 0 ? { width: r.seed_resize_from_w, height: r.seed_resize_from_h } : null,
    noise: { source: o.randn_source, etaNoiseSeedDelta: o.eta_noise_seed_delta },
    sampling: plan.sampling,
    text: { emphasis: o.emphasis, commaPaddingBacktrack: o.comma_padding_backtrack, clipSkip: o.CLIP_stop_at_last_layers },
    img2img: img2img
      ? {
          images: initImages,
          resizeMode: img2img.resize_mode as 0 | 1 | 2 | 3,
          denoisingStrength: img2img.denoising_strength,
          fixSteps: o.img2img_fix_steps,
          noiseMultiplier: img2img.initial_noise_multiplier ?? o.initial_noise_multiplier,
        }
      : null,
    hires: hires
      ? {
          upscaleWidth: hires.upscaleWidth,
          upscaleHeight: hires.upscaleHeight,
          truncateX: hires.truncateX,
          truncateY: hires.truncateY,
          upscaler: hires.upscaler,
          sampling: hires.sampling,
          denoisingStrength: hires.denoisingStrength,
          prompts: withoutNetworks(Array.from({ length: plan.imageCount }, () => hires.prompt)),
          negativePrompts: Array.from({ length: plan.imageCount }, () => hires.negativePrompt),
        }
      : null,
  };
}
