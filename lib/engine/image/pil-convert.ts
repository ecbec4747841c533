/**
 * Pillow's mode conversions between "L", "RGB", "RGBA" and "RGBa" (`Image.convert`, libImaging/Convert.c,
 * Pillow 9.5) and `ImageOps.invert`, bit for bit.
 */
import { bandCount, point } from "./pil-image.ts";
import type { PilImage, PilMode } from "./pil-image.ts";

/** Pillow's integer ITU-R 601-2 luma (Convert.c `L24`): weights 19595, 38470, 7471 out of 65536, rounded. */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/** x·y/255 rounded, the way Pillow's `MULDIV255` computes it (ImagingUtils.h). */
export function mulDiv255(x: number, y: number): number {
  const t = x * y + 128;
  return ((t >> 8) + t) >> 8;
}

/**
 * `image.convert(mode)`. Converting to the same mode copies. Supported: L→RGB/RGBA (alpha 255), RGB→L/RGBA,
 * RGBA→L/RGB/RGBa, RGBa→RGBA/RGB/L (the last through RGB, Pillow's `getmodebase` retry). L→RGBa and RGB→RGBa
 * fail in Pillow and fail here: callers go through RGBA, as A1111 does.
 *
 * RGBA→RGBa premultiplies with `MULDIV255`; RGBa→RGBA divides back with `255·c / a` truncated and clipped,
 * leaving the colour untouched where alpha is 0 or 255 (Convert.c `rgbA2rgba`, `rgba2rgbA`). RGBA→L ignores
 * alpha.
 */
export function convert(image: PilImage, mode: PilMode): PilImage {
  if (image.mode === mode) return { ...image, data: image.data.slice() };
  const route = `${image.mode}>${mode}`;
  switch (route) {
    case "L>RGB":
    case "L>RGBA":
      return mapPixels(image, mode, (src, s, dst, d) => {
        const v = src[s]!;
        dst[d] = v;
        dst[d + 1] = v;
        dst[d + 2] = v;
        if (mode === "RGBA") dst[d + 3] = 255;
      });
    case "RGB>L":
    case "RGBA>L":
      return mapPixels(image, mode, (src, s, dst, d) => {
        dst[d] = luma(src[s]!, src[s + 1]!, src[s + 2]!);
      });
    case "RGB>RGBA":
    case "RGBA>RGB":
      return mapPixels(image, mode, (src, s, dst, d) => {
        dst[d] = src[s]!;
        dst[d + 1] = src[s + 1]!;
        dst[d + 2] = src[s + 2]!;
        if (mode === "RGBA") dst[d + 3] = 255;
      });
    case "RGBA>RGBa":
      return mapPixels(image, mode, (src, s, dst, d) => {
        const a = src[s + 3]!;
        dst[d] = mulDiv255(src[s]!, a);
        dst[d + 1] = mulDiv255(src[s + 1]!, a);
        dst[d + 2] = mulDiv255(src[s + 2]!, a);
        dst[d + 3] = a;
      });
    case "RGBa>RGBA":
    case "RGBa>RGB":
      return mapPixels(image, mode, (src, s, dst, d) => {
        const a = src[s + 3]!;
        for (let c = 0; c < 3; c++) {
          const v = src[s + c]!;
          dst[d + c] = a === 0 || a === 255 ? v : Math.min(255, Math.trunc((255 * v) / a));
        }
        if (mode === "RGBA") dst[d + 3] = a;
      });
    case "RGBa>L":
      return convert(convert(image, "RGB"), "L");
    default:
      throw new RangeError(`conversion from ${image.mode} to ${mode} not supported`);
  }
}

/** `ImageOps.invert`: 255 − v on every band; Pillow 9.5 accepts "L" and "RGB" only. */
export function invert(image: PilImage): PilImage {
  if (image.mode !== "L" && image.mode !== "RGB") throw new RangeError("not supported for this image mode");
  const lut = new Uint8Array(256);
  for (let i = 0; i < 256; i++) lut[i] = 255 - i;
  return point(image, lut);
}

type PixelMap = (src: Uint8Array, s: number, dst: Uint8Array, d: number) => void;

function mapPixels(image: PilImage, mode: PilMode, map: PixelMap): PilImage {
  const inBands = bandCount(image.mode);
  const outBands = bandCount(mode);
  const pixels = image.width * image.height;
  const out = new Uint8Array(pixels * outBands);
  for (let i = 0, s = 0, d = 0; i < pixels; i++, s += inBands, d += outBands) map(image.data, s, out, d);
  return { mode, width: image.width, height: image.height, data: out };
}
