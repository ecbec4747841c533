/**
 * txt2img and img2img: settings with the request's override_settings applied, client images checked before any
 * work is queued, progress tracked while the backend runs, and A1111's response built from the result. Images go
 * to the bucket (returned as `image_urls`) when the client sets save_images or when the response would pass the
 * configured response limit (Lambda answers at most 6 MB); a response is never cut short.
 */
import { randomUUID } from "node:crypto";
import { ApiError, invalidField } from "../errors.ts";
import type { GenerationJob, GenerationOutput } from "../generation/job.ts";
import { checkExtraNetworks } from "../generation/networks.ts";
import { generationResponse } from "../generation/response.ts";
import { decodeImage } from "../images/decode.ts";
import type { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";
import type { GenerationResponse } from "../schemas/generation-response.ts";
import type { Options } from "../schemas/options.ts";
import type { RouteContext } from "./context.ts";
import { findModel } from "./models.ts";
import { parseOptionPatch } from "./option-patch.ts";
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

export async function checkClientImages(request: Img2ImgRequest): Promise<void> {
  await Promise.all((request.init_images ?? []).map((image, i) => decodeImage(image, ["init_images", i])));
  if (request.mask) await decodeImage(request.mask, ["mask"]);
}

/** A generation job with every check a request gets before anything runs: settings, checkpoint, client images. */
export async function checkedJob(type: GenerationJob["type"], request: Txt2ImgRequest | Img2ImgRequest, ctx: RouteContext): Promise<GenerationJob> {
  checkExtraNetworks(request);
  const options = await effectiveOptions(await ctx.services.options.get(), request.override_settings, ctx);
  if (type === "img2img") await checkClientImages(request as Img2ImgRequest);
  return type === "txt2img" ? { type, request: request as Txt2ImgRequest, options } : { type, request: request as Img2ImgRequest, options };
}

async function generate(type: GenerationJob["type"], request: Txt2ImgRequest | Img2ImgRequest, ctx: RouteContext): Promise<GenerationResponse | RouteResult> {
  const job = await checkedJob(type, request, ctx);
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

const responseTooLarge = (size: number, limit: number) =>
  new ApiError(
    413,
    "ResponseTooLarge",
    `The response would be ${size} bytes, over the ${limit}-byte limit (SERENA_MAX_RESPONSE_BYTES; Lambda returns at most ` +
      "6 MB). Configure a bucket (SERENA_BUCKET) so that large results are stored and returned as image_urls, or ask for " +
      'fewer or smaller images, or a compressed format (override_settings: {"samples_format": "jpg"}).',
  );

const bodySize = (body: unknown) => Buffer.byteLength(JSON.stringify(body), "utf8");

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
