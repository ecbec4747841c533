/**
 * A1111's inpainting mask helpers (modules/masking.py, v1.10), on this folder's Pillow reproductions.
 */
import { alphaComposite, paste } from "./pil-composite.ts";
import { convert, invert } from "./pil-convert.ts";
import { getBbox, newImage } from "./pil-image.ts";
import type { Box, PilImage } from "./pil-image.ts";
import { pilGaussianBlur } from "./pil-gaussian-blur.ts";

/**
 * `masking.get_crop_region_v2(mask, pad)`: the bounding box of the mask's non-zero pixels (Pillow `getbbox`),
 * grown by `pad` on every side within the image; null for an all-black mask. The processing code of v1.10 uses
 * this one, and falls back to whole-picture img2img on null.
 */
export function getCropRegionV2(mask: PilImage, pad = 0): Box | null {
  const box = getBbox(mask);
  if (!box || !pad) return box;
  const [x1, y1, x2, y2] = box;
  const { width, height } = mask;
  return [Math.max(x1 - pad, 0), Math.max(y1 - pad, 0), Math.min(x2 + pad, width), Math.min(y2 + pad, height)];
}

/**
 * `masking.get_crop_region(mask, pad)`, kept by v1.10 for extensions: as v2, but an all-black mask gives
 * `(max(w − pad, 0), max(h − pad, 0), min(pad, w), min(pad, h))`, a box whose right may lie left of its left.
 */
export function getCropRegion(mask: PilImage, pad = 0): Box {
  const box = getCropRegionV2(mask, pad);
  if (box) return box;
  const { width, height } = mask;
  return [Math.max(width - pad, 0), Math.max(height - pad, 0), Math.min(pad, width), Math.min(pad, height)];
}

/**
 * `masking.expand_crop_region(crop_region, processing_width, processing_height, image_width, image_height)`: grows
 * the region's short side to the processing aspect ratio, then shifts it back inside the image, clipping it where
 * the image is too small.
 */
export function expandCropRegion(
  region: Box,
  processingWidth: number,
  processingHeight: number,
  imageWidth: number,
  imageHeight: number,
): Box {
  const [x1, y1, x2, y2] = region;
  if (y2 === y1) throw new RangeError("division by zero: the crop region has no height");
  const ratioProcessing = processingWidth / processingHeight;
  if ((x2 - x1) / (y2 - y1) > ratioProcessing) {
    const [top, bottom] = growSpan(y1, y2, (x2 - x1) / ratioProcessing, imageHeight);
    return [x1, top, x2, bottom];
  }
  const [left, right] = growSpan(x1, x2, (y2 - y1) * ratioProcessing, imageWidth);
  return [left, y1, right, y2];
}

/**
 * One axis of `expand_crop_region`: the growth `int(desired − length)` is split with floor division, the odd
 * pixel going after; a span past `limit` shifts back, one before 0 shifts forward, and what still sticks out past
 * `limit` is cut.
 */
function growSpan(lo: number, hi: number, desired: number, limit: number): [number, number] {
  const grow = Math.trunc(desired - (hi - lo));
  lo -= Math.floor(grow / 2);
  hi += grow - Math.floor(grow / 2);
  if (hi >= limit) {
    lo -= hi - limit;
    hi = limit;
  }
  if (lo < 0) {
    hi -= lo;
    lo = 0;
  }
  return [lo, Math.min(hi, limit)];
}

/** `masking.fill`'s blur radii and how many times each blurred layer is composited, in order. */
const FILL_LAYERS: ReadonlyArray<readonly [radius: number, repeats: number]> = [
  [256, 1],
  [64, 1],
  [16, 2],
  [4, 4],
  [2, 2],
  [0, 1],
];

/**
 * `masking.fill(image, mask)` ("Masked content: fill"): the unmasked pixels, premultiplied, are blurred with
 * Pillow's GaussianBlur at decreasing radii, and each blur is composited over the previous ones, so masked areas
 * take the colours of their surroundings. The mask (any mode; converted to "L") is white where to inpaint.
 * Returns "RGB".
 */
export function fill(image: PilImage, mask: PilImage): PilImage {
  const keep = invert(convert(mask, "L"));
  const premultiplied = convert(convert(image, "RGBA"), "RGBa");
  const masked = paste(newImage("RGBa", image.width, image.height), premultiplied, [0, 0], keep);
  let result = newImage("RGBA", image.width, image.height);
  for (const [radius, repeats] of FILL_LAYERS) {
    const blurred = convert(pilGaussianBlur(masked, radius), "RGBA");
    for (let i = 0; i < repeats; i++) result = alphaComposite(result, blurred);
  }
  return convert(result, "RGB");
}
