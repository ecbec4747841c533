/**
 * txt2img and img2img: settings with the request's override_settings applied, client images checked before any
 * work is queued, progress tracked while the backend runs, and A1111's response built from the result. Images go
 * to the bucket (returned as `image_urls`) when the client sets save_images or when the response would pass the
 * configured response limit (Lambda answers at most 6 MB); a response is never cut short.
 */
import { randomUUID } from "node:crypto";
import { ApiError, invalidField } from "../errors.ts";
import type { GenerationJob, GenerationOutput } from "../generation/job.ts";
import { planRequest } from "../generation/plan.ts";
import { checkExtraNetworks } from "../generation/networks.ts";
import { generationResponse } from "../generation/response.ts";
import { decodeImage } from "../images/decode.ts";
import type { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";
import type { GenerationResponse } from "../schemas/generation-response.ts";
import type { Options } from "../schemas/options.ts";
import type { RouteContext } from "./context.ts";
import { findModel } from "./models.ts";
import { parseOptionPatch } from "./option-patch.ts";
import { checkClipSkip } from "./options.ts";
import { implement, jsonResult, type RouteResult } from "./route.ts";
import { ROUTE } from "./table.ts";

/**
 * `override_settings` keys Serena knows are validated like POST /options; unknown keys are ignored, since clients
 * send settings for extensions that do not exist here (A1111 ignores unknown keys too).
 */
export async function effectiveOptions(base: Options, overrides: Record<string, unknown> | null, ctx: RouteContext): Promise<Options> {
  if (!overrides) return base;
  const valid = parseOptionPatch(overrides, ["override_settings"], "ignore");
  if (typeof valid.sd_model_checkpoint === "string" && valid.sd_model_checkpoint !== "") {
    const model = await findModel(ctx.backend, valid.sd_model_checkpoint);
    if (!model) throw invalidField(["override_settings", "sd_model_checkpoint"], `model '${valid.sd_model_checkpoint}' not found`);
    valid.sd_model_checkpoint = model.title;
  }
  return { ...base, ...valid } as Options;
}

/**
 * Every client image decoded once, and what inpainting needs of their sizes, so that a request (or an async job)
 * is refused now rather than failing when it runs. The engine checks the same again (lib/engine/pipeline/img2img-setup.ts).
 */
export async function checkClientImages(request: Img2ImgRequest): Promise<void> {
  const init = await Promise.all((request.init_images ?? []).map((image, i) => decodeImage(image, ["init_images", i])));
  if (!request.mask) return;
  const mask = (await decodeImage(request.mask, ["mask"])).oriented;
  if (request.latent_mask) await decodeImage(request.latent_mask, ["latent_mask"]);
  const mismatched = init.find(({ oriented }) => oriented.width !== mask.width || oriented.height !== mask.height);
  if (request.inpaint_full_res && mismatched) {
    throw invalidField(
      ["mask"],
      `the mask is ${mask.width}x${mask.height} but an init image is ${mismatched.oriented.width}x${mismatched.oriented.height}; "Only masked" (inpaint_full_res) crops both at the mask's box, so they must be the same size`,
    );
  }
}

/** A generation job with every check a request gets before anything runs: settings, checkpoint, client images. */
export async function checkedJob(type: GenerationJob["type"], request: Txt2ImgRequest | Img2ImgRequest, ctx: RouteContext): Promise<GenerationJob> {
  checkExtraNetworks(request);
  const options = await effectiveOptions(await ctx.services.options.get(), request.override_settings, ctx);
  // A clip skip the request sends and its model cannot serve: refused now rather than when the job runs.
  if (request.override_settings && Object.hasOwn(request.override_settings, "CLIP_stop_at_last_layers")) {
    await checkClipSkip(options.CLIP_stop_at_last_layers, options.sd_model_checkpoint, ["override_settings", "CLIP_stop_at_last_layers"], ctx);
  }
  if (type === "img2img") await checkClientImages(request as Img2ImgRequest);
  return type === "txt2img" ? { type, request: request as Txt2ImgRequest, options } : { type, request: request as Img2ImgRequest, options };
}

/**
 * The least an encoded image of A1111's output can weigh, as a fraction of its raw RGB bytes: Stable Diffusion
 * pictures are noisy enough that PNG keeps at least a third (typically half), lossy formats a tenth or less. Used
 * only to refuse, before any work, a response that cannot fit; anything closer is measured after generating.
 */
const ENCODED_FLOOR: Record<string, number> = { png: 1 / 3, jpg: 1 / 40, jpeg: 1 / 40, webp: 1 / 60 };

/** A 413 before generating when the images alone, at the floor above and in base64, would pass the limit. */
function checkResponseFloor(job: GenerationJob, ctx: RouteContext): void {
  const limit = ctx.services.server.maxResponseBytes;
  if (ctx.services.images || !job.request.send_images || !Number.isFinite(limit)) return;
  const plan = planRequest(job);
  const floor = ENCODED_FLOOR[job.options.samples_format] ?? 1 / 60;
  const estimate = Math.ceil((plan.imageCount * plan.outputWidth * plan.outputHeight * 3 * floor * 4) / 3);
  if (estimate > limit) throw responseTooLarge(estimate, limit, "at least ");
}

async function generate(type: GenerationJob["type"], request: Txt2ImgRequest | Img2ImgRequest, ctx: RouteContext): Promise<GenerationResponse | RouteResult> {
  const job = await checkedJob(type, request, ctx);
  checkResponseFloor(job, ctx);
  const { hooks, end } = ctx.services.progress.begin(`scripts_${type}`, request.n_iter, request.steps);
  let output: GenerationOutput;
  try {
    output = await ctx.backend.generate(job, hooks);
  } finally {
    end();
  }
  return deliver(request, output, ctx);
}

export const STORED_IMAGES_HEADER = "x-serena-images";

const responseTooLarge = (size: number, limit: number, estimated = "") =>
  new ApiError(
    413,
    "ResponseTooLarge",
    `The response would be ${estimated}${size} bytes, over the ${limit}-byte limit (SERENA_MAX_RESPONSE_BYTES; Lambda returns at most ` +
      "6 MB). Configure a bucket (SERENA_BUCKET) so that large results are stored and returned as image_urls, or ask for " +
      'fewer or smaller images, or a compressed format (override_settings: {"samples_format": "jpg"}).',
  );

/**
 * The response's size as JSON, in bytes, without serialising its images a second time (the HTTP layer serialises the
 * body once; megabytes of base64 twice cost milliseconds on every generation): base64 needs no JSON escaping, so
 * each image adds its length, two quotes and a comma between it and the next.
 */
export function bodySize(body: GenerationResponse): number {
  const images = body.images;
  const rest = Buffer.byteLength(JSON.stringify({ ...body, images: [] }), "utf8");
  return rest + images.reduce((sum, image) => sum + image.length + 2, 0) + Math.max(images.length - 1, 0);
}

async function deliver(request: Txt2ImgRequest | Img2ImgRequest, output: GenerationOutput, ctx: RouteContext): Promise<GenerationResponse | RouteResult> {
  const response = generationResponse(request, output);
  const { images: store, server } = ctx.services;
  const limit = server.maxResponseBytes;
  let keys = output.storedImageKeys ?? [];
  if (keys.length > 0 && !store) throw new Error("the backend stored images in a bucket, but SERENA_BUCKET is not set here");
  if (keys.length === 0) {
    const size = bodySize(response);
    const tooLarge = size > limit;
    if (!tooLarge && !(request.save_images && store)) return response;
    if (!store) throw responseTooLarge(size, limit);
    keys = await store.store(randomUUID(), output.images);
    if (tooLarge) response.images = [];
  }
  const body: GenerationResponse = { ...response, image_urls: await store!.presign(keys) };
  const size = bodySize(body);
  // What is left can still be too large: img2img with include_init_images echoes the client's images.
  if (size > limit) throw responseTooLarge(size, limit);
  return jsonResult(200, body, { [STORED_IMAGES_HEADER]: "stored" });
}

export const txt2img = implement(ROUTE.txt2img, ({ body }, ctx) => generate("txt2img", body, ctx));
export const img2img = implement(ROUTE.img2img, ({ body }, ctx) => generate("img2img", body, ctx));
