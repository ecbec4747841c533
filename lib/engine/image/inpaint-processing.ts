/**
 * The pixel steps of A1111's inpainting in modules/processing.py (v1.10): `create_binary_mask`, the mask blur,
 * the overlay of the original pixels (`StableDiffusionProcessingImg2Img.init`), the latent mask, and `uncrop` /
 * `apply_overlay` after decoding. Each function names the lines it reproduces; the pipeline decides when to call
 * them.
 */
import { cvGaussianBlur, maskBlurKernelSize } from "./gaussian-blur.ts";
import { alphaComposite, paste } from "./pil-composite.ts";
import { convert, invert } from "./pil-convert.ts";
import { getBand, getExtrema, newImage, point } from "./pil-image.ts";
import type { PilImage } from "./pil-image.ts";
import { Resampling, resize } from "./pil-resize.ts";
import { resizeImage } from "./resize-image.ts";

/**
 * `create_binary_mask(image, round)`: an RGBA mask that is not fully opaque is read from its alpha (thresholded
 * at > 128 when `round`); anything else is converted to "L".
 */
export function createBinaryMask(image: PilImage, round = true): PilImage {
  if (image.mode === "RGBA") {
    const [min, max] = getExtrema(image)[3] ?? [255, 255];
    if (min !== 255 || max !== 255) {
      const alpha = getBand(image, 3);
      if (!round) return alpha;
      return point(alpha, Array.from({ length: 256 }, (_, v) => (v > 128 ? 255 : 0)));
    }
  }
  return convert(image, "L");
}

/**
 * The mask blur of `init`: `cv2.GaussianBlur(np_mask, (k, 1), mask_blur_x)` when `blurX > 0`, then
 * `(1, k)` with `mask_blur_y`, where `k = 2·int(2.5·blur + 0.5) + 1`. The mask is "L".
 */
export function blurMask(mask: PilImage, blurX: number, blurY: number): PilImage {
  if (mask.mode !== "L") throw new RangeError("the mask blur works on an L mask");
  let data = mask.data;
  if (blurX > 0) {
    const kernelWidth = maskBlurKernelSize(blurX);
    data = cvGaussianBlur(data, mask.width, mask.height, 1, { kernelWidth, kernelHeight: 1, sigmaX: blurX });
  }
  if (blurY > 0) {
    const kernelHeight = maskBlurKernelSize(blurY);
    data = cvGaussianBlur(data, mask.width, mask.height, 1, { kernelWidth: 1, kernelHeight, sigmaX: blurY });
  }
  return { ...mask, data: data === mask.data ? data.slice() : data };
}

/**
 * "Whole picture" inpainting's overlay mask: the mask resized with `resize_mode`, then
 * `np.clip(np_mask.astype(np.float32) * 2, 0, 255).astype(np.uint8)`, i.e. doubled and clipped.
 */
export function wholePictureOverlayMask(resizedMask: PilImage): PilImage {
  return point(resizedMask, Array.from({ length: 256 }, (_, v) => Math.min(v * 2, 255)));
}

/**
 * The overlay kept for each init image: the image's pixels where the overlay mask is black, transparent where it
 * is white (`image_masked = Image.new('RGBa', …)`, pasted through the inverted mask, `convert('RGBA')`).
 */
export function overlayImage(image: PilImage, overlayMask: PilImage): PilImage {
  const keep = invert(convert(overlayMask, "L"));
  const premultiplied = convert(convert(image, "RGBA"), "RGBa");
  return convert(paste(newImage("RGBa", image.width, image.height), premultiplied, [0, 0], keep), "RGBA");
}

/**
 * The latent mask (`latmask` in `init`): the mask as RGB resized to the latent size with Pillow's default filter
 * (BICUBIC), its first channel divided by 255 in float32, and rounded to 0 or 1 when `round` (`np.around`).
 * This is `nmask`; A1111's `mask` is 1 − it.
 */
export function latentMask(mask: PilImage, latentWidth: number, latentHeight: number, round: boolean): Float32Array {
  const small = resize(convert(mask, "RGB"), latentWidth, latentHeight, Resampling.BICUBIC);
  const out = new Float32Array(latentWidth * latentHeight);
  for (let i = 0; i < out.length; i++) {
    const v = small.data[i * 3]!;
    out[i] = round ? (v >= 128 ? 1 : 0) : v / 255;
  }
  return out;
}

/** (x, y, w, h): where the "only masked" crop came from (`p.paste_to`). */
export type PasteLocation = readonly [x: number, y: number, width: number, height: number];

/**
 * `uncrop(image, dest_size, paste_loc)`: the generated crop resized back with `resize_image` mode 1 and pasted at
 * its place on a transparent RGBA canvas of the original size.
 */
export function uncrop(image: PilImage, width: number, height: number, location: PasteLocation): PilImage {
  const [x, y, w, h] = location;
  return paste(newImage("RGBA", width, height), resizeImage(1, image, w, h), [x, y]);
}

/**
 * `apply_overlay(image, paste_loc, overlay)`: uncrops when there is a paste location, then alpha-composites the
 * overlay (the original unmasked pixels) over the result. Returns the final RGB image and the image before the
 * overlay, as A1111 does.
 */
export function applyOverlay(
  image: PilImage,
  location: PasteLocation | null,
  overlay: PilImage | null,
): { image: PilImage; beforeOverlay: PilImage } {
  if (!overlay) return { image, beforeOverlay: { ...image, data: image.data.slice() } };
  const placed = location ? uncrop(image, overlay.width, overlay.height, location) : image;
  const composited = alphaComposite(convert(placed, "RGBA"), overlay);
  return { image: convert(composited, "RGB"), beforeOverlay: placed };
}
