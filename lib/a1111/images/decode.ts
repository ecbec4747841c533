/**
 * Images sent by clients: raw base64 or a `data:image/...;base64,` URI (A1111 `decode_base64_to_image`,
 * docs/a1111-semantics.md §8). Anything that is not a decodable image within Serena's pixel limit is a 422 naming the field,
 * where A1111 answers 500 "Invalid encoded image". Image URLs are refused: fetching arbitrary URLs from a
 * function is a server-side request forgery risk, and clients can send the bytes.
 */
import sharp from "sharp";
import type { RgbImage } from "../../engine/plan.ts";
import { invalidField } from "../errors.ts";
import { LIMITS } from "../schemas/limits.ts";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_URL = /^[A-Za-z0-9\-_]*={0,2}$/;

export interface DecodedImage {
  file: Buffer;
  width: number;
  height: number;
  format: string;
}

/** Bytes of a base64 or data-URI image string; throws a 422 at `loc` if it is not base64. */
export function base64ImageBytes(value: string, loc: (string | number)[]): Buffer {
  let encoded = value.trim();
  if (/^https?:\/\//i.test(encoded)) {
    throw invalidField(loc, "image URLs are not accepted; send the image as base64 or a data: URI");
  }
  if (encoded.startsWith("data:")) {
    const comma = encoded.indexOf(",");
    if (!/^data:image\/[\w.+-]+;base64,/i.test(encoded) || comma < 0) {
      throw invalidField(loc, "Invalid encoded image: expected data:image/<type>;base64,<data>");
    }
    encoded = encoded.slice(comma + 1);
  }
  encoded = encoded.replace(/\s+/g, "");
  if (encoded.length === 0 || encoded.length % 4 === 1 || !(BASE64.test(encoded) || BASE64_URL.test(encoded))) {
    throw invalidField(loc, "Invalid encoded image: not base64");
  }
  return Buffer.from(encoded, BASE64.test(encoded) ? "base64" : "base64url");
}

/** Decodes the header of an image sent by a client; throws a 422 at `loc` if it is not an image or too large. */
export async function decodeImage(value: string, loc: (string | number)[]): Promise<DecodedImage> {
  const file = base64ImageBytes(value, loc);
  let meta: sharp.Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch {
    throw invalidField(loc, "Invalid encoded image: not a PNG, JPEG, WebP, GIF, TIFF or AVIF file");
  }
  const { width, height, format } = meta;
  if (!width || !height || !format) throw invalidField(loc, "Invalid encoded image: no dimensions");
  if (width * height > LIMITS.maxInputPixels) {
    throw invalidField(loc, `image is ${width}x${height}; at most ${LIMITS.maxInputPixels} pixels are accepted`);
  }
  return { file, width, height, format };
}

/** sharp input options for a decoded client image: pixel limit kept, EXIF orientation applied by `.rotate()`. */
export const clientImage = (image: DecodedImage) =>
  sharp(image.file, { limitInputPixels: LIMITS.maxInputPixels }).rotate();

/**
 * A client image as RGB pixels, the way A1111 reads init images (`decode_base64_to_image`, then EXIF transpose, then
 * transparency flattened onto `opts.img2img_background_color`).
 */
export async function decodeClientImage(value: string, loc: (string | number)[], background: string): Promise<RgbImage> {
  const bytes = base64ImageBytes(value, loc);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: LIMITS.maxInputPixels })
      .rotate()
      .flatten({ background })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw invalidField(loc, `Invalid encoded image: ${(error as Error).message}`);
  }
}
