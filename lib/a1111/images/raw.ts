/** Raw RGB(A) pixel buffers and the few whole-image operations sharp has no direct call for. */
import sharp from "sharp";
import { LIMITS } from "../schemas/limits.ts";

export interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

export async function toRgb(image: sharp.Sharp, background = "#ffffff"): Promise<Pixels> {
  const { data, info } = await image.flatten({ background }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

const MAX_PIXELS = Math.max(LIMITS.maxInputPixels, LIMITS.maxUpscaledPixels);

export async function resizePixels(
  src: Pixels,
  width: number,
  height: number,
  kernel: "lanczos3" | "nearest" | "linear" = "lanczos3",
): Promise<Pixels> {
  if (src.width === width && src.height === height) return src;
  // Sizes come from client requests (Extras): the pixel and time limits hold here too.
  const data = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: src.channels }, limitInputPixels: MAX_PIXELS })
    .timeout({ seconds: LIMITS.imageOperationSeconds })
    .resize(width, height, { fit: "fill", kernel })
    .raw()
    .toBuffer();
  return { data, width, height, channels: src.channels };
}

/**
 * PIL's `canvas.paste(image, (x, y))` onto a new black canvas: the image's top-left lands at (x, y), which may be
 * negative or past the edge (those parts are cut off).
 */
export function pasteOnCanvas(src: Pixels, width: number, height: number, x: number, y: number): Pixels {
  const c = src.channels;
  const data = Buffer.alloc(width * height * c);
  const x0 = Math.max(0, x);
  const x1 = Math.min(width, x + src.width);
  for (let row = Math.max(0, y); row < Math.min(height, y + src.height); row++) {
    if (x1 <= x0) break;
    const from = ((row - y) * src.width + (x0 - x)) * c;
    src.data.copy(data, (row * width + x0) * c, from, from + (x1 - x0) * c);
  }
  return { data, width, height, channels: c };
}

/**
 * PIL's `Image.blend(a, b, alpha)` for alpha in [0, 1] (libImaging/Blend.c): `(UINT8)(a + alpha·(b − a))` with a
 * C float alpha, so float32 arithmetic truncated toward zero.
 */
export function blendPixels(a: Pixels, b: Pixels, alpha: number): Pixels {
  const f = Math.fround(alpha);
  const out = Buffer.alloc(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const from = a.data[i]!;
    out[i] = Math.trunc(Math.fround(from + Math.fround(f * (b.data[i]! - from))));
  }
  return { ...a, data: out };
}
