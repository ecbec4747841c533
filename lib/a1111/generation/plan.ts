/**
 * What an A1111 request resolves to before any model runs: seeds per image, prompts per image, sampler and
 * schedule, sizes, hires fix, and the engine's generation plan. The CI fake and the engine both start from this, so
 * they agree on everything a client can see (docs/a1111-semantics.md).
 */
import type { PilImage } from "../../engine/image/pil-image.ts";
import type { GenerationPlan, InpaintFill, InpaintSpec, RgbImage, SamplingSpec } from "../../engine/plan.ts";
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
  /**
   * Where in `extra` the extra-network entries (`Lora hashes`, `TI hashes`) go once known: after img2img's entries,
   * before the text encoder's (A1111 activates networks, then builds the conds, which sets `TI hashes` and `Emphasis`).
   */
  networkExtrasAt: number;
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

/** A1111 `inpainting_fill` 0–3. */
const INPAINT_FILLS: readonly InpaintFill[] = ["fill", "original", "latent noise", "latent nothing"];

/** A1111's `mask_blur` property: both blurs when they are equal, else None; a given `mask_blur` sets both. */
function maskBlurs(r: Img2ImgRequest): [number, number] {
  return r.mask_blur === null || r.mask_blur === undefined ? [r.mask_blur_x, r.mask_blur_y] : [r.mask_blur, r.mask_blur];
}

/**
 * The inpainting entries `StableDiffusionProcessingImg2Img.init` adds, in its order. "Inpaint area", "Masked area
 * padding" and "Masked content" are dropped later when an "Only masked" mask turns out blank.
 */
function inpaintExtras(r: Img2ImgRequest): Record<string, PyValue> {
  const extra: Record<string, PyValue> = {};
  if (!r.mask) return extra;
  if (r.inpainting_mask_invert) extra["Mask mode"] = "Inpaint not masked";
  const [blurX, blurY] = maskBlurs(r);
  if ((blurX > 0 || blurY > 0) && blurX === blurY) extra["Mask blur"] = blurX;
  if (r.inpaint_full_res) {
    extra["Inpaint area"] = "Only masked";
    extra["Masked area padding"] = r.inpaint_full_res_padding;
  }
  if (r.inpainting_fill !== 1) extra["Masked content"] = INPAINT_FILLS[r.inpainting_fill]!;
  return extra;
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
    extra: {
      ...(job.type === "img2img" ? inpaintExtras(job.request) : {}),
      ...optionExtras({ type: job.type, request, options, sampler: resolved, schedule }, noiseMultiplier(job), first.extra),
    },
    networkExtrasAt: Object.keys(job.type === "img2img" ? inpaintExtras(job.request) : {}).length,
    warnings: ignoredSettingWarnings(request, samplers),
    jobTimestamp: jobTimestamp(env.now ?? new Date()),
  };
}


/** The client's images, decoded: init images as RGB, the masks with their transparency. */
export interface ClientImages {
  readonly init: readonly RgbImage[];
  readonly mask: PilImage | null;
  readonly latentMask: PilImage | null;
}

function inpaintSpec(r: Img2ImgRequest, o: RequestPlan["options"], images: ClientImages): InpaintSpec | null {
  if (!r.mask || images.mask === null) return null;
  const [blurX, blurY] = maskBlurs(r);
  return {
    mask: images.mask,
    blurX,
    blurY,
    round: r.mask_round,
    invert: r.inpainting_mask_invert === 1,
    fill: INPAINT_FILLS[r.inpainting_fill]!,
    onlyMasked: r.inpaint_full_res ? { padding: r.inpaint_full_res_padding } : null,
    latentMask: images.latentMask,
    overlay: o.overlay_inpaint,
  };
}

/** The engine's plan for a request plan, with the client's images already decoded. */
export function enginePlan(plan: RequestPlan, images: ClientImages): GenerationPlan {
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
    text: {
      emphasis: o.emphasis,
      commaPaddingBacktrack: o.comma_padding_backtrack,
      clipSkip: o.CLIP_stop_at_last_layers,
      // Read by SDXL models only (modules/sd_models_xl.py `get_learned_conditioning`).
      sdxl: {
        cropTop: o.sdxl_crop_top,
        cropLeft: o.sdxl_crop_left,
        highAestheticScore: o.sdxl_refiner_high_aesthetic_score,
        lowAestheticScore: o.sdxl_refiner_low_aesthetic_score,
        clipLSkip: o.sdxl_clip_l_skip ? o.CLIP_stop_at_last_layers : null,
      },
    },
    img2img: img2img
      ? {
          images: images.init,
          resizeMode: img2img.resize_mode as 0 | 1 | 2 | 3,
          denoisingStrength: img2img.denoising_strength,
          fixSteps: o.img2img_fix_steps,
          noiseMultiplier: img2img.initial_noise_multiplier ?? o.initial_noise_multiplier,
          inpaint: inpaintSpec(img2img, o, images),
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
    inpaintingMaskWeight: o.inpainting_mask_weight,
  };
}
