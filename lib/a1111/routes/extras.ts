/**
 * /sdapi/v1/extra-single-image and extra-batch-images: upscale with the plain upscalers, keep the source's
 * `parameters` and add a `postprocessing` chunk (A1111 `run_extras`; docs/a1111-semantics.md).
 *
 * Work is bounded before it is done: the output size is computed from the request and each image's header and
 * refused past LIMITS.maxUpscaledPixels (upscale.ts), every sharp pipeline has a time limit, and the answer is
 * refused with 413 when it would pass the server's response limit (A1111 has none; Lambda answers at most 6 MB):
 * before upscaling when an estimate from bands of the image is well over it, else as soon as it is measured.
 */
import { ApiError, invalidField } from "../errors.ts";
import { imagePixels, readImageHeader } from "../images/decode.ts";
import { encodeImage } from "../images/encode.ts";
import { PngFormatError, readPngText } from "../images/png-text.ts";
import type { Pixels } from "../images/raw.ts";
import { checkUpscaleSize, extrasOutputSize, extrasUpscale, sampleUpscale } from "../images/upscale.ts";
import { createInfotext } from "../infotext/create.ts";
import type { ExtrasOptions } from "../schemas/images.ts";
import { LIMITS } from "../schemas/limits.ts";
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#x27;");

/** A1111's `plaintext_to_html`. */
export const plaintextToHtml = (text: string) => `<p>${text.split("\n").map(escapeHtml).join("<br>\n")}</p>`;

type Loc = (string | number)[];

/** A PNG's text chunks, or a 422 at `loc` where Pillow would refuse the file (png-text.ts). */
export function clientPngText(file: Buffer, loc: Loc): Record<string, string> {
  try {
    return readPngText(file);
  } catch (error) {
    if (error instanceof PngFormatError) throw invalidField(loc, `Invalid encoded image: ${error.message}`);
    throw error;
  }
}

/**
 * The 413 of a response past SERENA_MAX_RESPONSE_BYTES, in A1111's error shape (as txt2img's); `estimated` says how a
 * size not measured was found.
 */
export const responseTooLarge = (size: number, limit: number, advice: string, estimated = "") =>
  new ApiError(
    413,
    "ResponseTooLarge",
    `The response would be ${estimated ? "about " : ""}${size} bytes${estimated}, over the ${limit}-byte limit (SERENA_MAX_RESPONSE_BYTES; Lambda returns at most 6 MB). ${advice}`,
  );

/** Throws responseTooLarge when `body` as JSON passes `limit` bytes. */
export function checkResponseSize(body: unknown, limit: number, advice: string): void {
  const size = Buffer.byteLength(JSON.stringify(body), "utf8");
  if (size > limit) throw responseTooLarge(size, limit, advice);
}

const EXTRAS_ADVICE = "Ask for a smaller upscale, or send fewer images per request.";

/** sharp's `timeout` error ("timeout: 12% complete") as a 422 at `loc`; anything else is left alone. */
async function withinTimeLimit<T>(loc: Loc, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("timeout")) {
      throw invalidField(loc, `processing this image took longer than ${LIMITS.imageOperationSeconds} s`);
    }
    throw error;
  }
}

/**
 * How far over the limit an estimate must be for a 413 before upscaling: closer ones are measured after the work.
 * Estimates came within 0.89–1.31× of the real size on noise, blurred noise, gradients, flat colour, half-flat images
 * and crops (1.31 on a half-flat quasi-periodic pattern); within 4 % on all but the patterns.
 */
export const ESTIMATE_MARGIN = 1.25;
/** A PNG's bytes besides its image data: signature, IHDR, one IDAT's header and zlib's, IEND. */
const PNG_FRAME_BYTES = 8 + 25 + 12 + 6 + 12;
const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4;
/** No response limit (the local server's default is Number.MAX_SAFE_INTEGER, lib/platform/config.ts). */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/** What the response already holds (`spent` bytes, earlier images of a batch) and may hold at most. */
export interface ResponseBudget {
  readonly spent: number;
  readonly limit: number;
}

const encodePng = (pixels: Pixels) => encodeImage(pixels, { format: "png", quality: 80, webpLossless: false, text: {} });

/**
 * The PNG bytes of the upscaled image, estimated from bands of it upscaled and encoded as the whole would be
 * (upscale.ts `sampleUpscale`): what each band's lower half adds to the file (the band's bytes less its upper half's,
 * so neither a file's fixed costs nor a band's first rows, which have no row above to predict them from, count) per
 * pixel, times the result's pixels. Null when the image is too small to sample.
 */
export async function estimateUpscaledPng(pixels: Pixels, options: ExtrasOptions): Promise<number | null> {
  const sample = await sampleUpscale(pixels, options);
  if (sample === null) return null;
  const upper = sample.bands.map((band) => {
    const rows = band.height >> 1;
    return { ...band, height: rows, data: band.data.subarray(0, rows * band.width * band.channels) };
  });
  const [whole, halves] = await Promise.all([Promise.all(sample.bands.map(encodePng)), Promise.all(upper.map(encodePng))]);
  const added = whole.reduce((sum, file, i) => sum + Math.max(0, file.length - halves[i]!.length), 0);
  const addedPixels = sample.bands.reduce((sum, band, i) => sum + (band.height - upper[i]!.height) * band.width, 0);
  return (added / addedPixels) * sample.imagePixels + PNG_FRAME_BYTES;
}

/**
 * A 413 before upscaling when the response with this image would pass the limit even with the image's estimated bytes
 * divided by ESTIMATE_MARGIN. Nothing is sampled when even the raw pixels would fit (no limit, or a small result).
 */
async function checkEstimatedSize(pixels: Pixels, options: ExtrasOptions, text: Record<string, string>, budget: ResponseBudget, loc: Loc): Promise<void> {
  if (budget.limit >= NO_LIMIT) return;
  const room = budget.limit - budget.spent;
  const out = extrasOutputSize(pixels.width, pixels.height, options);
  const textBytes = Object.entries(text).reduce((sum, [key, value]) => sum + 12 + key.length + 1 + Buffer.byteLength(value, "utf8"), 0);
  // Deflate's stored blocks bound a PNG by its raw rows (a filter byte each) and a few bytes per 64 KB.
  const raw = out.width * out.height * 3 + out.height;
  if (base64Length(raw * 1.001 + PNG_FRAME_BYTES + textBytes) <= room) return;
  const png = await withinTimeLimit(loc, () => estimateUpscaledPng(pixels, options));
  if (png === null) return;
  const estimate = base64Length(png + textBytes);
  if (estimate / ESTIMATE_MARGIN > room) {
    const how = " (estimated before upscaling, from bands of the image upscaled and encoded)";
    throw responseTooLarge(budget.spent + estimate, budget.limit, EXTRAS_ADVICE, how);
  }
}

/** One image through Extras; `budget` is what the response has left for it (a 413 before upscaling well past it). */
export async function processExtrasImage(image: string, loc: Loc, options: ExtrasOptions, budget: ResponseBudget = { spent: 0, limit: NO_LIMIT }) {
  const header = await readImageHeader(image, loc);
  checkUpscaleSize(header.oriented.width, header.oriented.height, options);
  const text = header.format === "png" ? clientPngText(header.file, loc) : {};
  const pixels = await imagePixels(header, loc);
  await checkEstimatedSize(pixels, options, text, budget, loc);
  const { image: out, info } = await withinTimeLimit(loc, () => extrasUpscale(pixels, options));
  const postprocessing = createInfotext("", "", info);
  const chunks: Record<string, string> = { ...text };
  if (postprocessing) chunks.postprocessing = postprocessing;
  const file = await withinTimeLimit(loc, () => encodeImage(out, { format: "png", quality: 80, webpLossless: false, text: chunks }));
  return { file: file.toString("base64"), postprocessing };
}

export const extraSingleImage = implement(ROUTE["extra-single-image"], async ({ body }, ctx) => {
  const { image, ...options } = body;
  const result = await processExtrasImage(image, ["image"], options, { spent: 0, limit: ctx.services.server.maxResponseBytes });
  const response = { html_info: plaintextToHtml(result.postprocessing), image: result.file };
  checkResponseSize(response, ctx.services.server.maxResponseBytes, EXTRAS_ADVICE);
  return response;
});

export const extraBatchImages = implement(ROUTE["extra-batch-images"], async ({ body }, ctx) => {
  const { imageList, ...options } = body;
  const limit = ctx.services.server.maxResponseBytes;
  const results = [];
  let size = 0;
  for (const [i, item] of imageList.entries()) {
    const result = await processExtrasImage(item.data, ["imageList", i, "data"], options, { spent: size, limit });
    // Stop as soon as the images alone pass the limit, rather than upscaling the rest for nothing.
    size += result.file.length;
    if (size > limit) throw responseTooLarge(size, limit, EXTRAS_ADVICE);
    results.push(result);
  }
  const response = { html_info: plaintextToHtml(results[0]?.postprocessing ?? ""), images: results.map((r) => r.file) };
  checkResponseSize(response, limit, EXTRAS_ADVICE);
  return response;
});
