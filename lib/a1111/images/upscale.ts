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
import { blendPixels, pasteOnCanvas, resizePixels, type Pixels } from "./raw.ts";

type Upscaler = NonNullable<ReturnType<typeof findUpscaler>>;

/**
 * `Upscaler.upscale`: the plain upscaler resizes by `scale` (skipped when shrinking), then the result is resized
 * with Lanczos to `int(w·scale // 8 · 8)` if it differs.
 */
async function upscaleWith(upscaler: Upscaler, image: Pixels, scale: number): Promise<Pixels> {
  const destW = Math.floor(Math.floor(image.width * scale) / 8) * 8 || 8;
  const destH = Math.floor(Math.floor(image.height * scale) / 8) * 8 || 8;
  let out = image;
  const shrinking = image.width >= destW && image.height >= destH && scale !== 1;
  if (!shrinking && upscaler.sharpKernel) {
    out = await resizePixels(image, Math.floor(image.width * scale), Math.floor(image.height * scale), upscaler.sharpKernel);
  }
  return resizePixels(out, destW, destH, "lanczos3");
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
  const scale = byMode1 ? Math.max(o.upscaling_resize_w / image.width, o.upscaling_resize_h / image.height) : o.upscaling_resize;
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
