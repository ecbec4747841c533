/**
 * Image files as A1111 returns them (docs/a1111-semantics.md §2.5, §4.2): PNG with a `parameters` text chunk, or JPEG/WebP
 * with the infotext in EXIF UserComment; format and quality from the options (`samples_format`, `jpeg_quality`).
 */
import sharp from "sharp";
import { LIMITS } from "../schemas/limits.ts";
import { exifWithUserComment, insertJpegExif } from "./exif-user-comment.ts";
import { writePngText } from "./png-text.ts";

export interface RawImage {
  /** Interleaved 8-bit pixels, row-major. */
  data: Buffer | Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

export interface EncodeOptions {
  format: "png" | "jpg" | "jpeg" | "webp";
  quality: number;
  webpLossless: boolean;
  /** PNG text chunks, e.g. `{ parameters: infotext }`; for JPEG/WebP only `parameters` is kept, in EXIF. */
  text: Record<string, string>;
}

/** Generated images stay within LIMITS.maxSize², Extras results within maxUpscaledPixels. */
const MAX_PIXELS = Math.max(LIMITS.maxSize * LIMITS.maxSize, LIMITS.maxUpscaledPixels);

export async function encodeImage(image: RawImage, options: EncodeOptions): Promise<Buffer> {
  // Extras encodes images sized by the client: the pixel and time limits hold here too.
  const raw = { width: image.width, height: image.height, channels: image.channels };
  const pipeline = sharp(image.data, { raw, limitInputPixels: MAX_PIXELS }).timeout({ seconds: LIMITS.imageOperationSeconds });
  const infotext = options.text.parameters;
  if (options.format === "png") {
    // A1111 saves with Pillow's defaults: zlib level 6, and per row the PNG filter whose output has the least sum of
    // absolute values (Pillow libImaging/ZipEncode.c, the heuristic libpng uses). sharp's default is no filtering,
    // whose files came out 1.2–1.8× larger than Pillow 9.4's on generated 512² images; adaptive filtering lands within
    // 1–5 % of Pillow's bytes (docs/engine.md "Benchmark").
    const png = await pipeline.png({ compressionLevel: 6, adaptiveFiltering: true }).toBuffer();
    return Object.keys(options.text).length > 0 ? writePngText(png, options.text) : png;
  }
  if (options.format === "webp") {
    const webp = pipeline.webp({ quality: options.quality, lossless: options.webpLossless });
    // libvips writes UserComment as ASCII; A1111 writes UTF-16. Non-ASCII infotexts are escaped as \uXXXX here.
    const ascii = infotext?.replace(/[^\x20-\x7e\n]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    return (ascii ? webp.withExif({ IFD2: { UserComment: ascii } }) : webp).toBuffer();
  }
  const jpeg = await pipeline.flatten({ background: "#ffffff" }).jpeg({ quality: options.quality }).toBuffer();
  return infotext ? insertJpegExif(jpeg, exifWithUserComment(infotext)) : jpeg;
}
