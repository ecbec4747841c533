/**
 * img2img input images at the generation size, with A1111's resize modes (modules/images.py `resize_image`;
 * docs/a1111-semantics.md): 0 stretch, 1 cover and centre-crop, 2 fit and fill the bars with the stretched edge
 * rows or columns; mode 3 keeps the source size (rounded down to a multiple of 8) for a latent-space resize later.
 */
import sharp from "sharp";
import type { RgbImage } from "../plan.ts";

interface MutableRgb {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

const rgbPipeline = (img: RgbImage) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });

async function raw(pipeline: sharp.Sharp): Promise<MutableRgb> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Mode 2's bars: rows (or columns) outside the pasted image copy its nearest edge row (or column). */
function fillBars(img: MutableRgb, x0: number, y0: number, w: number, h: number): MutableRgb {
  const { data, width, height } = img;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(y, y0), y0 + h - 1);
    for (let x = 0; x < width; x++) {
      const sx = Math.min(Math.max(x, x0), x0 + w - 1);
      if (sx === x && sy === y) continue;
      const from = (sy * width + sx) * 3;
      data.copyWithin((y * width + x) * 3, from, from + 3);
    }
  }
  return img;
}

export async function prepareInitImage(image: RgbImage, resizeMode: number, width: number, height: number): Promise<RgbImage> {
  const source = rgbPipeline(image);
  if (resizeMode === 3) {
    const w8 = Math.max(8, Math.floor(image.width / 8) * 8);
    const h8 = Math.max(8, Math.floor(image.height / 8) * 8);
    return raw(source.resize(w8, h8, { fit: "fill", kernel: "lanczos3" }));
  }
  if (resizeMode === 1) return raw(source.resize(width, height, { fit: "cover", position: "centre", kernel: "lanczos3" }));
  if (resizeMode === 0) return raw(source.resize(width, height, { fit: "fill", kernel: "lanczos3" }));

  const ratio = width / height;
  const srcRatio = image.width / image.height;
  const w = ratio < srcRatio ? width : Math.max(1, Math.floor((image.width * height) / image.height));
  const h = ratio >= srcRatio ? height : Math.max(1, Math.floor((image.height * width) / image.width));
  const fitted = await raw(source.resize(w, h, { fit: "fill", kernel: "lanczos3" }));
  const x0 = Math.floor(width / 2) - Math.floor(w / 2);
  const y0 = Math.floor(height / 2) - Math.floor(h / 2);
  const canvas = Buffer.alloc(width * height * 3);
  for (let y = 0; y < h; y++) fitted.data.copy(canvas, ((y0 + y) * width + x0) * 3, y * w * 3, (y + 1) * w * 3);
  return fillBars({ data: canvas, width, height }, x0, y0, w, h);
}
