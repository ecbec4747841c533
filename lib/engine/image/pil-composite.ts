/**
 * Pillow's ways of combining two images, bit for bit (Pillow 9.5): `Image.paste` (libImaging/Paste.c),
 * `Image.composite` and `Image.alpha_composite` (libImaging/AlphaComposite.c). Pillow pastes in place; these
 * return a new image and leave their arguments alone.
 */
import { convert } from "./pil-convert.ts";
import { bandCount } from "./pil-image.ts";
import type { Box, PilImage } from "./pil-image.ts";

/** Pillow's `DIV255(in1·(255 − m) + in2·m)` (ImagingUtils.h `BLEND`): a rounded division by 255. */
function blend(mask: number, under: number, over: number): number {
  const t = under * (255 - mask) + over * mask + 128;
  return ((t >> 8) + t) >> 8;
}

/**
 * `target.paste(source, box, mask)`. `box` is the upper-left corner or a 4-tuple whose size must equal the
 * source's; pixels falling outside the target are dropped. A source of another mode is converted to the target's
 * mode first, except that an "RGB" target takes the colour bytes of an "RGBA" or "RGBa" source as they are
 * (Pillow's `Image.paste` skips that conversion). The mask ("L", or "RGBA" whose alpha is used) must have the
 * source's size; each band becomes `BLEND(mask, target, source)`.
 */
export function paste(
  target: PilImage,
  source: PilImage,
  box: readonly [number, number] | Box = [0, 0],
  mask?: PilImage,
): PilImage {
  const [left, upper] = box;
  const right = box.length === 4 ? box[2] : left + source.width;
  const lower = box.length === 4 ? box[3] : upper + source.height;
  if (right - left !== source.width || lower - upper !== source.height) throw new RangeError("images do not match");
  if (mask && (mask.width !== source.width || mask.height !== source.height)) {
    throw new RangeError("images do not match");
  }
  if (mask && mask.mode !== "L" && mask.mode !== "RGBA") throw new RangeError("bad transparency mask");

  const keepsColourBytes = target.mode === "RGB" && (source.mode === "RGBA" || source.mode === "RGBa");
  const src = source.mode === target.mode || keepsColourBytes ? source : convert(source, target.mode);
  const bands = bandCount(target.mode);
  const srcBands = bandCount(src.mode);
  const maskBands = mask ? bandCount(mask.mode) : 0;
  const maskOffset = maskBands - 1;
  const out = { ...target, data: target.data.slice() };

  const x0 = Math.max(left, 0);
  const x1 = Math.min(right, target.width);
  const y0 = Math.max(upper, 0);
  const y1 = Math.min(lower, target.height);
  for (let y = y0; y < y1; y++) {
    const sy = y - upper;
    for (let x = x0; x < x1; x++) {
      const sx = x - left;
      const d = (y * target.width + x) * bands;
      const s = (sy * src.width + sx) * srcBands;
      if (!mask) {
        for (let b = 0; b < bands; b++) out.data[d + b] = src.data[s + b]!;
      } else {
        const m = mask.data[(sy * mask.width + sx) * maskBands + maskOffset]!;
        for (let b = 0; b < bands; b++) out.data[d + b] = blend(m, out.data[d + b]!, src.data[s + b]!);
      }
    }
  }
  return out;
}

/** `Image.composite(image1, image2, mask)`: image1 where the mask is 255, image2 where it is 0, blended between. */
export function composite(image1: PilImage, image2: PilImage, mask: PilImage): PilImage {
  return paste(image2, image1, [0, 0], mask);
}

/**
 * `Image.alpha_composite(dst, src)` ("over", both RGBA, same size), with AlphaComposite.c's integer arithmetic:
 * 7 extra bits of precision in the colour weights and rounded divisions by 255.
 */
export function alphaComposite(dst: PilImage, src: PilImage): PilImage {
  if (dst.mode !== "RGBA" || src.mode !== "RGBA") throw new RangeError("alpha_composite needs two RGBA images");
  if (dst.width !== src.width || dst.height !== src.height) throw new RangeError("images do not match");
  const out = new Uint8Array(dst.data.length);
  const a = dst.data;
  const b = src.data;
  for (let p = 0; p < out.length; p += 4) {
    const srcAlpha = b[p + 3]!;
    if (srcAlpha === 0) {
      out[p] = a[p]!;
      out[p + 1] = a[p + 1]!;
      out[p + 2] = a[p + 2]!;
      out[p + 3] = a[p + 3]!;
      continue;
    }
    const outAlpha255 = srcAlpha * 255 + a[p + 3]! * (255 - srcAlpha);
    // (srcAlpha·255·255·128) / outAlpha255 in UINT32: below 2^32, so a float division and floor match it.
    const coef1 = Math.floor((srcAlpha * 255 * 255 * 128) / outAlpha255);
    const coef2 = 255 * 128 - coef1;
    for (let c = 0; c < 3; c++) {
      const t = b[p + c]! * coef1 + a[p + c]! * coef2 + (0x80 << 7);
      out[p + c] = (((t >> 8) + t) >> 8) >> 7;
    }
    const t = outAlpha255 + 0x80;
    out[p + 3] = ((t >> 8) + t) >> 8;
  }
  return { mode: "RGBA", width: dst.width, height: dst.height, data: out };
}
