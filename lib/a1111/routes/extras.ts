/**
 * /sdapi/v1/extra-single-image and extra-batch-images: upscale with the plain upscalers, keep the source's
 * `parameters` and add a `postprocessing` chunk (A1111 `run_extras`; docs/a1111-semantics.md).
 */
import { decodeImage, clientImage } from "../images/decode.ts";
import { encodeImage } from "../images/encode.ts";
import { readPngText } from "../images/png-text.ts";
import { toRgb } from "../images/raw.ts";
import { extrasUpscale } from "../images/upscale.ts";
import { createInfotext } from "../infotext/create.ts";
import type { ExtrasOptions } from "../schemas/images.ts";
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#x27;");

/** A1111's `plaintext_to_html`. */
export const plaintextToHtml = (text: string) => `<p>${text.split("\n").map(escapeHtml).join("<br>\n")}</p>`;

export async function processExtrasImage(image: string, loc: (string | number)[], options: ExtrasOptions) {
  const decoded = await decodeImage(image, loc);
  const text = decoded.format === "png" ? readPngText(decoded.file) : {};
  const { image: out, info } = await extrasUpscale(await toRgb(clientImage(decoded)), options);
  const postprocessing = createInfotext("", "", info);
  const chunks: Record<string, string> = { ...text };
  if (postprocessing) chunks.postprocessing = postprocessing;
  const file = await encodeImage(out, { format: "png", quality: 80, webpLossless: false, text: chunks });
  return { file: file.toString("base64"), postprocessing };
}

export const extraSingleImage = implement(ROUTE["extra-single-image"], async ({ body }) => {
  const { image, ...options } = body;
  const result = await processExtrasImage(image, ["image"], options);
  return { html_info: plaintextToHtml(result.postprocessing), image: result.file };
});

export const extraBatchImages = implement(ROUTE["extra-batch-images"], async ({ body }) => {
  const { imageList, ...options } = body;
  const results = [];
  for (const [i, item] of imageList.entries()) results.push(await processExtrasImage(item.data, ["imageList", i, "data"], options));
  return { html_info: plaintextToHtml(results[0]?.postprocessing ?? ""), images: results.map((r) => r.file) };
});
