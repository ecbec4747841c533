/**
 * OpenCV's `cv2.GaussianBlur(src, (kw, kh), sigmaX, sigmaY)` on 8-bit images with the default border
 * (BORDER_REFLECT_101), bit for bit with OpenCV 4.x's fixed-point path (imgproc/src/smooth.dispatch.cpp
 * `GaussianBlur` → `GaussianBlurFixedPoint`), which is what an 8-bit numpy array gets.
 *
 * A1111 blurs the inpainting mask with it, once per axis (modules/processing.py
 * `StableDiffusionProcessingImg2Img.init`): `cv2.GaussianBlur(np_mask, (2·int(2.5·blur + 0.5) + 1, 1), blur)` for
 * `mask_blur_x`, and the transposed kernel for `mask_blur_y`.
 *
 * The fixed-point path: each 1-D kernel is `getGaussianKernel`'s (computed in software doubles, normalised to sum
 * 1), scaled to 8 fractional bits with error diffusion so the taps sum to exactly 256
 * (`getGaussianKernelFixedPoint_ED`). The horizontal pass sums pixel·tap exactly (16 bits), the vertical pass sums
 * those times its taps exactly (32 bits), and the result is rounded once: `(sum + 2^15) >> 16`.
 */
import { roundHalfEven } from "./round-half-even.ts";

/** `getGaussianKernel(n, sigma)` as `getGaussianKernelBitExact` computes it (sigma > 0). */
export function gaussianKernel(n: number, sigma: number): Float64Array {
  if (!Number.isInteger(n) || n < 1 || n % 2 === 0) throw new RangeError("kernel size must be odd and positive");
  if (!(sigma > 0)) throw new RangeError("only sigma > 0 is supported");
  const scale2 = -0.125 / (sigma * sigma);
  const half = (n - 1) / 2;
  const values = new Float64Array(half);
  let sum = 0;
  for (let i = 0, x = 1 - n; i < half; i++, x += 2) {
    const t = Math.exp(x * x * scale2);
    values[i] = t;
    sum += t;
  }
  sum = sum * 2 + 1;
  const mul = 1 / sum;
  const kernel = new Float64Array(n);
  for (let i = 0; i < half; i++) {
    kernel[i] = values[i]! * mul;
    kernel[n - 1 - i] = kernel[i]!;
  }
  kernel[half] = mul;
  return kernel;
}

/** The 8-fractional-bit taps of `ufixedpoint16` kernels, with OpenCV's error diffusion; they sum to 256. */
export function fixedPointKernel(n: number, sigma: number): Int32Array {
  const kernel = gaussianKernel(n, sigma);
  const fixed = new Int32Array(n);
  const half = (n - 1) / 2;
  let err = 0;
  let sum = 0;
  for (let i = 0; i < half; i++) {
    const adjusted = kernel[i]! * 256 + err;
    const v = roundHalfEven(adjusted);
    err = adjusted - v;
    fixed[i] = v;
    fixed[n - 1 - i] = v;
    sum += v;
  }
  fixed[half] = 256 - 2 * sum;
  return fixed;
}

/** OpenCV `borderInterpolate(p, len, BORDER_REFLECT_101)`, reflecting as often as needed. */
function reflect101(p: number, len: number): number {
  if (len === 1) return 0;
  while (p < 0 || p >= len) p = p < 0 ? -p : 2 * len - 2 - p;
  return p;
}

/**
 * The kernel as a sum of weighted boxes, `[from, to, weight]` triples (`to` exclusive): for each distinct tap
 * value v (ascending, after v′), the runs of taps ≥ v, weighted v − v′. A wide 8-bit Gaussian has few distinct
 * values, so summing boxes from prefix sums costs far less than one product per tap, and stays exact integer
 * arithmetic.
 */
function tapBoxes(taps: Int32Array): Int32Array {
  const levels = [...new Set(taps)].filter((v) => v > 0).sort((a, b) => a - b);
  const boxes: number[] = [];
  let below = 0;
  for (const level of levels) {
    for (let k = 0; k < taps.length; k++) {
      if (taps[k]! < level) continue;
      const from = k;
      while (k < taps.length && taps[k]! >= level) k++;
      boxes.push(from, k, level - below);
    }
    below = level;
  }
  return Int32Array.from(boxes);
}

export interface GaussianBlurOptions {
  /** Kernel width and height, odd and positive. */
  readonly kernelWidth: number;
  readonly kernelHeight: number;
  readonly sigmaX: number;
  /** Defaults to sigmaX, as OpenCV's 0 does. */
  readonly sigmaY?: number;
}

/**
 * `cv2.GaussianBlur` on an interleaved 8-bit image with `channels` bands, BORDER_REFLECT_101. As in OpenCV, a
 * one-pixel-wide (or high) image is not blurred along that axis.
 */
export function cvGaussianBlur(
  data: Uint8Array,
  width: number,
  height: number,
  channels: number,
  options: GaussianBlurOptions,
): Uint8Array {
  const kw = width === 1 ? 1 : options.kernelWidth;
  const kh = height === 1 ? 1 : options.kernelHeight;
  if (kw === 1 && kh === 1) return data.slice();
  const xBoxes = tapBoxes(fixedPointKernel(kw, options.sigmaX));
  const sigmaY = options.sigmaY !== undefined && options.sigmaY > 0 ? options.sigmaY : options.sigmaX;
  const yBoxes = tapBoxes(fixedPointKernel(kh, sigmaY));
  const rowLength = width * channels;

  // Horizontal pass: exact sums of pixel · tap (8 fractional bits), from prefix sums of the reflected row.
  const rx = (kw - 1) / 2;
  const horizontal = new Float64Array(height * rowLength);
  const prefix = new Float64Array(width + 2 * rx + 1);
  for (let y = 0; y < height; y++) {
    const row = y * rowLength;
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < width + 2 * rx; i++) {
        prefix[i + 1] = prefix[i]! + data[row + reflect101(i - rx, width) * channels + c]!;
      }
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let r = 0; r < xBoxes.length; r += 3) {
          sum += xBoxes[r + 2]! * (prefix[x + xBoxes[r + 1]!]! - prefix[x + xBoxes[r]!]!);
        }
        horizontal[row + x * channels + c] = sum;
      }
    }
  }

  // Vertical pass: prefix sums down the reflected columns, then one rounding of the 16-fractional-bit total.
  const ry = (kh - 1) / 2;
  const rows = height + 2 * ry;
  const columnPrefix = new Float64Array((rows + 1) * rowLength);
  for (let j = 0; j < rows; j++) {
    const from = reflect101(j - ry, height) * rowLength;
    const base = j * rowLength;
    for (let i = 0; i < rowLength; i++) {
      columnPrefix[base + rowLength + i] = columnPrefix[base + i]! + horizontal[from + i]!;
    }
  }
  const out = new Uint8Array(data.length);
  const sums = new Float64Array(rowLength);
  for (let y = 0; y < height; y++) {
    sums.fill(32768);
    for (let r = 0; r < yBoxes.length; r += 3) {
      const upper = (y + yBoxes[r + 1]!) * rowLength;
      const lower = (y + yBoxes[r]!) * rowLength;
      const tap = yBoxes[r + 2]!;
      for (let i = 0; i < rowLength; i++) sums[i] += tap * (columnPrefix[upper + i]! - columnPrefix[lower + i]!);
    }
    const row = y * rowLength;
    for (let i = 0; i < rowLength; i++) out[row + i] = Math.min(sums[i]! >>> 16, 255);
  }
  return out;
}

/** A1111's kernel size for a mask blur of `blur` pixels: `2 * int(2.5 * blur + 0.5) + 1`. */
export function maskBlurKernelSize(blur: number): number {
  return 2 * Math.trunc(2.5 * blur + 0.5) + 1;
}
