/**
 * The edge between A1111 and the engine, the same for every way a generation runs (in-process, a remote worker,
 * the CI fake): the request becomes a plan, client images are decoded, the engine makes pixels, and the pixels
 * become A1111's images (PNG/JPEG/WebP with their infotexts) and `info`. Engine errors about the plan are turned
 * into 422s naming the request field they come from.
 */
import { PlanError, type PlanPart } from "../../engine/errors.ts";
import type { ClipSkipSupport, Engine, GenerationResult } from "../../engine/plan.ts";
import { invalidField } from "../errors.ts";
import { decodeClientImage } from "../images/decode.ts";
import { decodeMask } from "../images/decode-mask.ts";
import { encodeImage } from "../images/encode.ts";
import { pyFloat, type PyValue } from "../infotext/python-format.ts";
import type { Img2ImgRequest } from "../schemas/generation.ts";
import { generationInfo } from "./info.ts";
import { imageInfotext } from "./infotext.ts";
import type { GenerationHooks, GenerationJob, GenerationOutput } from "./job.ts";
import { resolveNetworks, tiHashes, withLoras, withNetworkExtras, type LoraLookup } from "./networks.ts";
import { enginePlan, planRequest, type ClientImages, type PlanEnvironment, type RequestPlan } from "./plan.ts";
import { refinerExtras, refinerPlan } from "./refiner.ts";

/** The request field a plan part comes from. */
const PLAN_PART_FIELDS: Record<PlanPart, (string | number)[]> = {
  size: ["width"],
  "img2img.images": ["init_images"],
  "img2img.mask": ["mask"],
  "img2img.latentMask": ["latent_mask"],
  hires: ["enable_hr"],
  "text.clipSkip": ["override_settings", "CLIP_stop_at_last_layers"],
  "sampling.sampler": ["sampler_name"],
  // Textual-inversion embeddings and LoRA files are named in the prompts.
  "text.embeddings": ["prompt"],
  networks: ["prompt"],
  refiner: ["refiner_checkpoint"],
};

/**
 * The plan with a clip skip the model serves. A value the request's `override_settings` sent that the model cannot
 * serve is a 422 naming it. A stored one (POST /options refuses what the model it checks cannot serve, but another
 * checkpoint may have been chosen since, or the check could not be made) is lowered to the deepest clip skip the model
 * serves: the generation runs, the infotext and `info.clip_skip` record the value used, and `warnings` says so. A
 * stored setting never makes later requests fail (docs/api.md "Clip skip").
 */
export function withServableClipSkip(plan: RequestPlan, support: ClipSkipSupport | null): RequestPlan {
  const asked = plan.options.CLIP_stop_at_last_layers;
  if (support === null || support.max === null || asked <= support.max) return plan;
  if (Object.hasOwn(plan.request.override_settings ?? {}, "CLIP_stop_at_last_layers")) {
    throw invalidField(["override_settings", "CLIP_stop_at_last_layers"], `clip skip ${asked}: ${support.reason}`);
  }
  const used = support.max;
  const warning = `the stored setting CLIP_stop_at_last_layers=${asked} is more than this model serves (${support.reason}): clip skip ${used} was used; set it with POST /sdapi/v1/options or override_settings`;
  return { ...plan, options: { ...plan.options, CLIP_stop_at_last_layers: used }, warnings: [...plan.warnings, warning] };
}

/** Asks the engine which clip skips it serves, only when the plan asks for one beyond the last layer. */
async function servableClipSkip(plan: RequestPlan, engine: Engine): Promise<RequestPlan> {
  if (plan.options.CLIP_stop_at_last_layers <= 1 || !engine.clipSkipSupport) return plan;
  return withServableClipSkip(plan, await engine.clipSkipSupport());
}

/** Infotext entries for what happened while sampling (A1111 adds them only when they applied). */
function eventExtras(plan: RequestPlan, result: GenerationResult): Record<string, PyValue> {
  const extra: Record<string, PyValue> = {};
  if (result.events.inpaintingConditioning) extra["Conditional mask weight"] = pyFloat(plan.options.inpainting_mask_weight);
  if (result.events.skipEarlyCond) extra["Skip Early CFG"] = pyFloat(plan.sampling.skipEarlyCond);
  if (result.events.ngms) {
    extra["NGMS"] = pyFloat(plan.sampling.sMinUncond);
    if (plan.sampling.sMinUncondAllSteps) extra["NGMS all steps"] = true;
  }
  return { ...extra, ...refinerExtras(plan.request, plan.options, plan.hires !== null, result.events.refiner) };
}

/**
 * Client images as the engine takes them: init images decoded, EXIF-rotated, transparency flattened onto the
 * background option; masks with their transparency.
 */
async function clientImages(job: GenerationJob): Promise<ClientImages> {
  if (job.type !== "img2img") return { init: [], mask: null, latentMask: null };
  const request = job.request as Img2ImgRequest;
  const background = job.options.img2img_background_color;
  const [init, mask, latentMask] = await Promise.all([
    Promise.all((request.init_images ?? []).map((image, i) => decodeClientImage(image, ["init_images", i], background))),
    request.mask ? decodeMask(request.mask, ["mask"]) : null,
    request.mask && request.latent_mask ? decodeMask(request.latent_mask, ["latent_mask"]) : null,
  ]);
  return { init, mask, latentMask };
}

/** "Only masked" on a blank mask ran as plain img2img: A1111 records none of the entries that depend on the mask. */
const MASK_DEPENDENT = ["Inpaint area", "Masked area padding", "Masked content"];

/** Image files and `info` for the engine's pixels. `notes` are extra infotext entries of the caller's (the CI fake's). */
export async function renderOutput(plan: RequestPlan, result: GenerationResult, notes: Record<string, PyValue> = {}): Promise<GenerationOutput> {
  const started = performance.now();
  const { options: o } = plan;
  const planned = result.events.blankMask ? Object.fromEntries(Object.entries(plan.extra).filter(([key]) => !MASK_DEPENDENT.includes(key))) : plan.extra;
  const extra = { ...planned, ...eventExtras(plan, result), ...notes };
  const infotexts = result.images.map((_, i) => imageInfotext(plan, i, result.model, extra));
  // All images at once: sharp encodes on libuv's thread pool, so a batch's images compress on every core.
  const images = await Promise.all(
    result.images.map((image, i) =>
      encodeImage(
        { data: image.data, width: image.width, height: image.height, channels: 3 },
        { format: o.samples_format, quality: o.jpeg_quality, webpLossless: o.webp_lossless, text: o.enable_pnginfo ? { parameters: infotexts[i]! } : {} },
      ),
    ),
  );
  const info = generationInfo(plan, result.model, infotexts, extra);
  // Interrupted jobs return the images made so far; info lists the seeds of those images only.
  const made = { all_seeds: info.all_seeds.slice(0, images.length), all_subseeds: info.all_subseeds.slice(0, images.length) };
  const timings = { ...result.timings, encoding: performance.now() - started };
  const output: GenerationOutput = { images, info: { ...info, ...made }, timings };
  if (plan.warnings.length > 0) output.warnings = plan.warnings;
  return output;
}

export interface RunOptions extends PlanEnvironment {
  /** Extra infotext entries (the CI fake labels its images). */
  notes?: Record<string, PyValue>;
  /** The LoRA folder `<lora:name:…>` tags are looked up in; without it a tag that would be applied is a 422. */
  loras?: LoraLookup;
  /** The folder the backend resolved `refiner_checkpoint` to; without it a request for a refiner is a 422. */
  refinerDir?: string;
  /** The engine's own model folder (a refiner that is the model itself never switches, as in A1111). */
  modelDir?: string;
}

/** Runs an A1111 generation on an engine: plan, decode, generate, render. */
export async function runA1111Generation(job: GenerationJob, engine: Engine, hooks: GenerationHooks = {}, options: RunOptions = {}): Promise<GenerationOutput> {
  hooks.onStart?.();
  const plan = await servableClipSkip(planRequest(job, options), engine);
  const images = await clientImages(job);
  // Extra networks are activated before the conds are built (A1111 processing.py `process_images_inner`).
  const networks = await resolveNetworks(plan, options.loras);
  const refiner = refinerPlan(plan.request, plan.options, options.refinerDir, options.modelDir);
  let result: GenerationResult;
  try {
    result = await engine.generate({ ...withLoras(enginePlan(plan, images), networks), refiner }, { onProgress: hooks.onProgress, control: hooks.control });
  } catch (error) {
    if (error instanceof PlanError) throw invalidField(PLAN_PART_FIELDS[error.part], error.message);
    throw error;
  }
  return renderOutput(withNetworkExtras(plan, { "Lora hashes": networks.loraHashes, "TI hashes": tiHashes(result) }), result, options.notes);
}
