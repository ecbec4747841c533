/**
 * A1111's image fitting (modules/images.py, v1.10): `resize_image` with no upscaler configured (the default
 * `upscaler_for_img2img` is None, so every resize is Pillow's LANCZOS), and `flatten`.
 */
import { paste } from "./pil-composite.ts";
import { convert } from "./pil-convert.ts";
import { newImage } from "./pil-image.ts";
import type { PilImage } from "./pil-image.ts";
import { Resampling, resize } from "./pil-resize.ts";

/** 0 "Just resize", 1 "Crop and resize", 2 "Resize and fill". */
export type ResizeMode = 0 | 1 | 2;

const lanczos = (image: PilImage, width: number, height: number) => resize(image, width, height, Resampling.LANCZOS);
const half = (n: number) => Math.floor(n / 2);

/**
 * `images.resize_image(resize_mode, im, width, height)`:
 * - 0 stretches to width × height and keeps the image's mode;
 * - 1 scales to cover, centres, crops; the result is a new "RGB" image (an "L" source is converted, an "RGBA"
 *   source loses its alpha without compositing);
 * - 2 scales to fit, centres on a black "RGB" image, then fills each bar by resizing a zero-height (zero-width)
 *   box at the image's edge to the bar's size. Those two calls pass no filter, so they use Pillow's default,
 *   BICUBIC, whose taps there weigh the edge row 1.125 and the next one −0.125. A bar of size 0 is skipped
 *   (Pillow would refuse the resize).
 */
export function resizeImage(mode: ResizeMode, image: PilImage, width: number, height: number): PilImage {
  if (mode === 0) return lanczos(image, width, height);

  const ratio = width / height;
  const srcRatio = image.width / image.height;
  const cover = mode === 1;
  const fitWidth = cover ? ratio > srcRatio : ratio < srcRatio;
  const fitHeight = cover ? ratio <= srcRatio : ratio >= srcRatio;
  const srcW = fitWidth ? width : Math.floor((image.width * height) / image.height);
  const srcH = fitHeight ? height : Math.floor((image.height * width) / image.width);

  const resized = lanczos(image, srcW, srcH);
  let result = paste(newImage("RGB", width, height), resized, [half(width) - half(srcW), half(height) - half(srcH)]);
  if (cover) return result;

  if (ratio < srcRatio) {
    const fill = half(height) - half(srcH);
    if (fill > 0) {
      const top = resize(resized, width, fill, Resampling.BICUBIC, [0, 0, width, 0]);
      const bottom = resize(resized, width, fill, Resampling.BICUBIC, [0, resized.height, width, resized.height]);
      result = paste(paste(result, top, [0, 0]), bottom, [0, fill + srcH]);
    }
  } else if (ratio > srcRatio) {
    const fill = half(width) - half(srcW);
    if (fill > 0) {
      const left = resize(resized, fill, height, Resampling.BICUBIC, [0, 0, 0, height]);
      const right = resize(resized, fill, height, Resampling.BICUBIC, [resized.width, 0, resized.width, height]);
      result = paste(paste(result, left, [0, 0]), right, [fill + srcW, 0]);
    }
  }
  return result;
}

/**
 * `images.flatten(img, bgcolor)`: an RGBA image is pasted, through its own alpha, onto an opaque `background`;
 * any image then becomes "RGB".
 */
export function flatten(image: PilImage, background: readonly [number, number, number]): PilImage {
  if (image.mode !== "RGBA") return convert(image, "RGB");
  const base = newImage("RGBA", image.width, image.height, [...background, 255]);
  return convert(paste(base, image, [0, 0], image), "RGB");
}
