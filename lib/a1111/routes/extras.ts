/**
 * /sdapi/v1/extra-single-image and extra-batch-images: upscale with the plain upscalers, keep the source's
 * `parameters` and add a `postprocessing` chunk (A1111 `run_extras`; docs/a1111-semantics.md).
 *
 * Work is bounded before it is done: the output size is computed from the request and each image's header and
 * refused past LIMITS.maxUpscaledPixels (upscale.ts), every sharp pipeline has a time limit, and the answer is
 * refused with 413 as soon as it would pass the server's response limit (A1111 has none; Lambda answers at
 * most 6 MB).
 */
import { ApiError, invalidField } from "../errors.ts";
import { imagePixels, readImageHeader } from "../images/decode.ts";
import { encodeImage } from "../images/encode.ts";
import { PngFormatError, readPngText } from "../images/png-text.ts";
import { checkUpscaleSize, extrasUpscale } from "../images/upscale.ts";
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

/** The 413 of a response past SERENA_MAX_RESPONSE_BYTES, in A1111's error shape (as txt2img's). */
export const responseTooLarge = (size: number, limit: number, advice: string) =>
  new ApiError(413, "ResponseTooLarge", `The response would be ${size} bytes, over the ${limit}-byte limit (SERENA_MAX_RESPONSE_BYTES; Lambda returns at most 6 MB). ${advice}`);

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

export async function processExtrasImage(image: string, loc: Loc, options: ExtrasOptions) {
  const header = await readImageHeader(image, loc);
  checkUpscaleSize(header.oriented.width, header.oriented.height, options);
  const text = header.format === "png" ? clientPngText(header.file, loc) : {};
  const pixels = await imagePixels(header, loc);
  const { image: out, info } = await withinTimeLimit(loc, () => extrasUpscale(pixels, options));
  const postprocessing = createInfotext("", "", info);
  const chunks: Record<string, string> = { ...text };
  if (postprocessing) chunks.postprocessing = postprocessing;
  const file = await withinTimeLimit(loc, () => encodeImage(out, { format: "png", quality: 80, webpLossless: false, text: chunks }));
  return { file: file.toString("base64"), postprocessing };
}

export const extraSingleImage = implement(ROUTE["extra-single-image"], async ({ body }, ctx) => {
  const { image, ...options } = body;
  const result = await processExtrasImage(image, ["image"], options);
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
    const result = await processExtrasImage(item.data, ["imageList", i, "data"], options);
    // Stop as soon as the images alone pass the limit, rather than upscaling the rest for nothing.
    size += result.file.length;
    if (size > limit) throw responseTooLarge(size, limit, EXTRAS_ADVICE);
    results.push(result);
  }
  const response = { html_info: plaintextToHtml(results[0]?.postprocessing ?? ""), images: results.map((r) => r.file) };
  checkResponseSize(response, limit, EXTRAS_ADVICE);
  return response;
});
