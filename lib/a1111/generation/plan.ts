/**
 * What a generation request resolves to before any model runs: seeds per image, prompts per image, sampler and
 * schedule labels, output size. The CI fake and the engine both start from this, so they agree on everything a
 * client can see (a1111-api.md §2.4, §5.2, §6.1–6.2).
 */
import { effectiveScheduler, resolveSampler, scheduleTypeLabel, type ResolvedSampler } from "../sampler-names.ts";
import type { SchedulerEntry } from "../../engine/schedules/registry.ts";
import { allSeeds, allSubseeds, fixSeed } from "../../engine/rng/seeds.ts";
import type { GenerationJob } from "../../platform/inference/backend.ts";
import type { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";
import type { Options } from "../schemas/options.ts";
import { planHires, type HiresPlan } from "./hires.ts";

export interface GenerationPlan {
  type: GenerationJob["type"];
  request: Txt2ImgRequest | Img2ImgRequest;
  options: Options;
  seed: number;
  subseed: number;
  seeds: number[];
  subseeds: number[];
  prompts: string[];
  negativePrompts: string[];
  sampler: ResolvedSampler;
  /** The schedule that runs (Automatic resolved). */
  schedule: SchedulerEntry;
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
  /** Eta actually used: the request's, else opts.eta_ddim for DDIM-family samplers, else opts.eta_ancestral. */
  eta: number;
  /** "%Y%m%d%H%M%S" of the job start, UTC. */
  jobTimestamp: string;
}

export function jobTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

export interface PlanEnvironment {
  now?: Date;
  /** Draws the seed for -1 (A1111: uniform on [0, 4294967293]). */
  drawSeed?: () => number;
}

export function planGeneration(job: GenerationJob, env: PlanEnvironment = {}): GenerationPlan {
  const { request, options } = job;
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
  const defaultEta = resolved.sampler.family === "timesteps" ? options.eta_ddim : options.eta_ancestral;
  const hires = job.type === "txt2img" && job.request.enable_hr ? planHires(job.request, resolved) : null;
  const baseWidth = Math.floor(request.width / 8) * 8;
  const baseHeight = Math.floor(request.height / 8) * 8;
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
    schedule: effectiveScheduler(resolved),
    scheduleType: scheduleTypeLabel(resolved),
    baseWidth,
    baseHeight,
    outputWidth: hires?.width ?? baseWidth,
    outputHeight: hires?.height ?? baseHeight,
    hires,
    batchSize,
    nIter: request.n_iter,
    imageCount,
    eta: request.eta ?? defaultEta,
    jobTimestamp: jobTimestamp(env.now ?? new Date()),
  };
}
