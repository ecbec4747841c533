/**
 * The Extras "Upscale" step with A1111's plain upscalers (scripts/postprocessing_upscale.py, modules/upscaler.py,
 * docs/a1111-semantics.md §9.5 and §9.9): scale by a factor (mode 0) or to a size (mode 1, optionally centre-cropped), the
 * target floored to a multiple of 8, a second upscaler blended in by visibility, and the `postprocessing` infotext.
 */
import { findUpscaler } from "../../engine/upscalers.ts";
import { invalidField } from "../errors.ts";
import type { PyValue } from "../infotext/python-format.ts";
import { pyFloat } from "../infotext/python-format.ts";
import type { ExtrasOptions } from "../schemas/images.ts";
import { LIMITS } from "../schemas/limits.ts";
import { blendPixels, pasteOnCanvas, resizePixels, type Pixels } from "./raw.ts";

type Upscaler = NonNullable<ReturnType<typeof findUpscaler>>;

/**
 * `Upscaler.upscale`: the plain upscaler resizes by `scale` (skipped when shrinking), then the result is resized
 * with Lanczos to `int(w·scale // 8 · 8)` if it differs.
 */
async function upscaleWith(upscaler: Upscaler, image: Pixels, scale: number): Promise<Pixels> {
  const size = passSizes(image.width, image.height, scale);
  const out = size.upscaled && upscaler.sharpKernel ? await resizePixels(image, size.upscaled.width, size.upscaled.height, upscaler.sharpKernel) : image;
  return resizePixels(out, size.dest.width, size.dest.height, "lanczos3");
}

interface Size {
  width: number;
  height: number;
}

/**
 * `Upscaler.upscale`'s sizes for a width×height image: the target `int(w·scale // 8 · 8)` (at least 8: A1111 fails
 * on a 0-pixel target, Serena keeps one block), and the upscaler's own output `int(w·scale)` (at least 1), which
 * it skips when the image already covers the target.
 */
function passSizes(width: number, height: number, scale: number): { dest: Size; upscaled: Size | null } {
  const dest = { width: Math.floor(Math.floor(width * scale) / 8) * 8 || 8, height: Math.floor(Math.floor(height * scale) / 8) * 8 || 8 };
  const shrinking = width >= dest.width && height >= dest.height && scale !== 1;
  const upscaled = shrinking ? null : { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
  return { dest, upscaled };
}

const scaleFor = (width: number, height: number, o: ExtrasOptions) =>
  o.resize_mode === 1 ? Math.max(o.upscaling_resize_w / width, o.upscaling_resize_h / height) : o.upscaling_resize;

/**
 * Refuses, from the request and the image's size alone, an upscale whose largest image (the upscaler's output, the
 * target, or the crop canvas) would pass LIMITS.maxUpscaledPixels: a 422 naming the field that sets the scale.
 */
export function checkUpscaleSize(width: number, height: number, o: ExtrasOptions): void {
  const upscaler = findUpscaler(o.upscaler_1);
  if (!upscaler || upscaler.name === "None") return;
  const scale = scaleFor(width, height, o);
  const { dest, upscaled } = passSizes(width, height, scale);
  const canvas = o.resize_mode === 1 && o.upscaling_crop ? { width: o.upscaling_resize_w, height: o.upscaling_resize_h } : dest;
  const largest = [dest, upscaled ?? dest, canvas].reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
  if (largest.width * largest.height <= LIMITS.maxUpscaledPixels) return;
  const field = o.resize_mode !== 1 ? "upscaling_resize" : o.upscaling_resize_w / width >= o.upscaling_resize_h / height ? "upscaling_resize_w" : "upscaling_resize_h";
  throw invalidField(
    [field],
    `upscaling ${width}x${height} this way makes a ${largest.width}x${largest.height} image; at most ${LIMITS.maxUpscaledPixels} pixels are allowed`,
  );
}

/** The size of {@link extrasUpscale}'s result for a width×height image (its own size when upscaler 1 is None). */
export function extrasOutputSize(width: number, height: number, o: ExtrasOptions): Size {
  const upscaler = findUpscaler(o.upscaler_1);
  if (!upscaler || upscaler.name === "None") return { width, height };
  if (o.resize_mode === 1 && o.upscaling_crop) return { width: o.upscaling_resize_w, height: o.upscaling_resize_h };
  return passSizes(width, height, scaleFor(width, height, o)).dest;
}

/** Bands of the upscaled image, for estimating its encoded size before upscaling it all. */
export interface UpscaleSample {
  /** Each band resized on its own with upscaler 1's kernel to the result's width and its share of its height. */
  readonly bands: Pixels[];
  /** Pixels of the result that carry the image (a crop canvas's black border excluded). */
  readonly imagePixels: number;
}

/** Raw bytes each band's upper half holds at least: twice deflate's 32 KB window, so its lower half meets long matches. */
const BAND_HALF_BYTES = 2 * 32768;

/**
 * Up to `count` bands of source rows spread evenly over `image`, upscaled as {@link extrasUpscale} upscales the whole:
 * each at least 8 rows, a 16·count-th of the image, and tall enough that half of it upscaled holds BAND_HALF_BYTES, and
 * together at most half the image. Null when no upscaler runs or fewer than two such bands fit.
 */
export async function sampleUpscale(image: Pixels, o: ExtrasOptions, count = 8): Promise<UpscaleSample | null> {
  const upscaler = findUpscaler(o.upscaler_1);
  if (!upscaler?.sharpKernel) return null;
  const dest = passSizes(image.width, image.height, scaleFor(image.width, image.height, o)).dest;
  const forWindow = Math.ceil(((2 * BAND_HALF_BYTES) / (dest.width * 3)) * (image.height / dest.height));
  const rows = Math.max(8, Math.ceil(image.height / (16 * count)), forWindow);
  const bandCount = Math.min(count, Math.floor(image.height / (2 * rows)));
  if (bandCount < 2) return null;
  const rowBytes = image.width * image.channels;
  const bands = await Promise.all(
    Array.from({ length: bandCount }, (_, k) => {
      const top = Math.floor(((k + 0.5) * image.height) / bandCount - rows / 2);
      const band = { data: image.data.subarray(top * rowBytes, (top + rows) * rowBytes), width: image.width, height: rows, channels: image.channels };
      return resizePixels(band, dest.width, Math.max(2, Math.round((rows * dest.height) / image.height)), upscaler.sharpKernel!);
    }),
  );
  const shown = o.resize_mode === 1 && o.upscaling_crop ? { width: Math.min(dest.width, o.upscaling_resize_w), height: Math.min(dest.height, o.upscaling_resize_h) } : dest;
  return { bands, imagePixels: shown.width * shown.height };
}

function requireUpscaler(name: string, field: string): Upscaler | null {
  if (name === "None") return null;
  const upscaler = findUpscaler(name);
  if (!upscaler) {
    throw invalidField([field], `could not find upscaler named ${name}; available: None, Lanczos, Nearest`);
  }
  return upscaler.name === "None" ? null : upscaler;
}

export interface UpscaleResult {
  image: Pixels;
  /** The `postprocessing` infotext entries, in A1111's order. */
  info: Array<[string, PyValue]>;
}

export async function extrasUpscale(image: Pixels, o: ExtrasOptions): Promise<UpscaleResult> {
  if (o.gfpgan_visibility > 0 || o.codeformer_visibility > 0) {
    const field = o.gfpgan_visibility > 0 ? "gfpgan_visibility" : "codeformer_visibility";
    throw invalidField([field], "face restoration is not available in Serena; send 0");
  }
  const upscaler1 = requireUpscaler(o.upscaler_1, "upscaler_1");
  const upscaler2 = requireUpscaler(o.upscaler_2, "upscaler_2");
  const info: Array<[string, PyValue]> = [];
  if (!upscaler1) return { image, info };

  const byMode1 = o.resize_mode === 1;
  checkUpscaleSize(image.width, image.height, o);
  const scale = scaleFor(image.width, image.height, o);
  const run = async (upscaler: Upscaler) => {
    let out = await upscaleWith(upscaler, image, scale);
    if (byMode1 && o.upscaling_crop) {
      const [w, h] = [o.upscaling_resize_w, o.upscaling_resize_h];
      out = pasteOnCanvas(out, w, h, Math.floor(w / 2) - Math.floor(out.width / 2), Math.floor(h / 2) - Math.floor(out.height / 2));
    }
    return out;
  };

  info.push(byMode1 ? ["Postprocess upscale to", `${o.upscaling_resize_w}x${o.upscaling_resize_h}`] : ["Postprocess upscale by", pyFloat(scale)]);
  let result = await run(upscaler1);
  if (byMode1 && o.upscaling_crop) info.push(["Postprocess crop to", `${result.width}x${result.height}`]);
  info.push(["Postprocess upscaler", upscaler1.name]);
  if (upscaler2 && o.extras_upscaler_2_visibility > 0) {
    result = blendPixels(result, await run(upscaler2), o.extras_upscaler_2_visibility);
    info.push(["Postprocess upscaler 2", upscaler2.name]);
  }
  return { image: result, info };
}
