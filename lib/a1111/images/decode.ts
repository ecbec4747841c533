/**
 * Images sent by clients: raw base64 or a `data:image/...;base64,` URI (A1111 `decode_base64_to_image`).
 * Anything that is not a decodable image within Serena's limits is a 422 naming the field, where A1111 answers
 * 500 "Invalid encoded image". Image URLs are refused: fetching arbitrary URLs from a function is a server-side
 * request forgery risk, and clients can send the bytes.
 *
 * Formats are recognised by their magic bytes before sharp sees the data, and only those A1111 (Pillow 9.5 with
 * pillow-avif-plugin, from A1111's requirements) and sharp's libvips both read are decoded: PNG, JPEG, WebP, GIF,
 * TIFF and AVIF. Everything else is refused unread: SVG (libvips renders it with librsvg, where a 235-byte
 * filter can take minutes of CPU), PDF, HEIC (sharp's libheif has no HEVC decoder; A1111 has no HEIF plugin), and
 * BMP, ICO, PPM…, which Pillow reads but sharp does not. Every sharp pipeline on client bytes carries the pixel
 * limit and a time limit (LIMITS.imageOperationSeconds).
 */
import sharp from "sharp";
import type { RgbImage } from "../../engine/plan.ts";
import { invalidField } from "../errors.ts";
import { LIMITS } from "../schemas/limits.ts";
import { checkPngChunks, PngFormatError } from "./png-text.ts";
import type { Pixels } from "./raw.ts";

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_URL = /^[A-Za-z0-9\-_]*={0,2}$/;

export type ClientImageFormat = "png" | "jpeg" | "webp" | "gif" | "tiff" | "avif";

export const ACCEPTED_FORMATS = "PNG, JPEG, WebP, GIF, TIFF or AVIF";

/** The format sharp's `metadata()` reports for each accepted one. */
const SHARP_FORMAT: Record<ClientImageFormat, string> = { png: "png", jpeg: "jpeg", webp: "webp", gif: "gif", tiff: "tiff", avif: "heif" };

export interface DecodedImage {
  file: Buffer;
  /** As stored; `oriented` is the size once EXIF orientation is applied, as the pixels are decoded. */
  width: number;
  height: number;
  oriented: { width: number; height: number };
  format: ClientImageFormat;
  /** The EXIF block, if the file has one (JPEG APP1, PNG eXIf, WebP EXIF…). */
  exif?: Buffer;
}

type Loc = (string | number)[];

const startsWith = (file: Buffer, at: number, ascii: string) => file.length >= at + ascii.length && file.toString("latin1", at, at + ascii.length) === ascii;

/** An ISO-BMFF `ftyp` box whose major or compatible brands name AVIF (`avif` still, `avis` sequence). */
function isAvif(file: Buffer): boolean {
  if (!startsWith(file, 4, "ftyp") || file.length < 16) return false;
  const size = Math.min(file.readUInt32BE(0), file.length);
  const brands = [file.toString("latin1", 8, 12)];
  for (let at = 16; at + 4 <= size; at += 4) brands.push(file.toString("latin1", at, at + 4));
  return brands.includes("avif") || brands.includes("avis");
}

/** The format named by the file's magic bytes, or null for anything Serena does not decode. */
export function sniffImageFormat(file: Buffer): ClientImageFormat | null {
  if (startsWith(file, 0, "\x89PNG\r\n\x1a\n")) return "png";
  if (file.length >= 3 && file[0] === 0xff && file[1] === 0xd8 && file[2] === 0xff) return "jpeg";
  if (startsWith(file, 0, "GIF87a") || startsWith(file, 0, "GIF89a")) return "gif";
  if (startsWith(file, 0, "RIFF") && startsWith(file, 8, "WEBP")) return "webp";
  if (startsWith(file, 0, "II*\0") || startsWith(file, 0, "MM\0*")) return "tiff";
  if (isAvif(file)) return "avif";
  return null;
}

/** Bytes of a base64 or data-URI image string; throws a 422 at `loc` if it is not base64. */
export function base64ImageBytes(value: string, loc: Loc): Buffer {
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

/** sharp on client bytes: the pixel limit and the time limit, EXIF orientation applied (`.rotate()`). */
const clientPipeline = (file: Buffer) =>
  sharp(file, { limitInputPixels: LIMITS.maxInputPixels }).timeout({ seconds: LIMITS.imageOperationSeconds }).rotate();

const undecodable = (loc: Loc, error: unknown) => invalidField(loc, `Invalid encoded image: ${(error as Error).message.split("\n", 1)[0]}`);

/**
 * A client image's format and size from its header, before any pixel is decoded: the magic bytes, sharp's
 * metadata (which must agree), the pixel limit, and for PNG the chunk structure (lengths and CRCs, as Pillow
 * checks them). Throws a 422 at `loc`.
 */
export async function readImageHeader(value: string, loc: Loc): Promise<DecodedImage> {
  const file = base64ImageBytes(value, loc);
  const format = sniffImageFormat(file);
  if (!format) throw invalidField(loc, `Invalid encoded image: not a ${ACCEPTED_FORMATS} file`);
  if (format === "png") {
    try {
      checkPngChunks(file);
    } catch (error) {
      if (error instanceof PngFormatError) throw undecodable(loc, error);
      throw error;
    }
  }
  let meta: sharp.Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw undecodable(loc, error);
  }
  const { width, height } = meta;
  if (meta.format !== SHARP_FORMAT[format]) throw invalidField(loc, `Invalid encoded image: not a ${ACCEPTED_FORMATS} file`);
  if (!width || !height) throw invalidField(loc, "Invalid encoded image: no dimensions");
  if (width * height > LIMITS.maxInputPixels) {
    throw invalidField(loc, `image is ${width}x${height}; at most ${LIMITS.maxInputPixels} pixels are accepted`);
  }
  const oriented = meta.autoOrient ?? { width, height };
  return { file, width, height, oriented: { width: oriented.width, height: oriented.height }, format, ...(meta.exif ? { exif: meta.exif } : {}) };
}

/** A checked header's image as RGB pixels, transparency flattened onto `background`; a 422 at `loc` if it does not decode. */
export async function imagePixels(image: DecodedImage, loc: Loc, background = "#ffffff"): Promise<Pixels> {
  try {
    const { data, info } = await clientPipeline(image.file).flatten({ background }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3 };
  } catch (error) {
    throw undecodable(loc, error);
  }
}

/**
 * A client image checked all the way: its header (readImageHeader) and every pixel decoded once, so that a file
 * cut short or corrupt inside its image data is a 422 now rather than a failure later (in a job's runner, say).
 */
export async function decodeImage(value: string, loc: Loc): Promise<DecodedImage> {
  const image = await readImageHeader(value, loc);
  await imagePixels(image, loc);
  return image;
}

/** sharp input for a checked client image: pixel and time limits kept, EXIF orientation applied by `.rotate()`. */
export const clientImage = (image: DecodedImage) => clientPipeline(image.file);

/**
 * A client image as RGB pixels, the way A1111 reads init images (`decode_base64_to_image`, then EXIF transpose, then
 * transparency flattened onto `opts.img2img_background_color`).
 */
export async function decodeClientImage(value: string, loc: Loc, background: string): Promise<RgbImage> {
  const { data, width, height } = await imagePixels(await readImageHeader(value, loc), loc, background);
  return { data, width, height };
}
