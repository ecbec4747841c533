/**
 * Pillow's `Image.resize(size, resample, box)` (Pillow 9.5: PIL/Image.py, _imaging.c `_resize`,
 * libImaging/Resample.c, and libImaging/Geometry.c for NEAREST), bit for bit on 8-bit images.
 *
 * The convolution filters resample in two separable passes, horizontal first, each rounded to 8 bits. For
 * every output column (row) the filter is centred at `in0 + (x + 0.5)·scale`; when shrinking, its support widens by
 * the scale so that every source pixel contributes. The weights are normalised to sum 1, then turned into
 * 22-bit fixed point, and each sum is rounded and clipped to 0…255. The horizontal pass only covers the rows the
 * vertical pass will read.
 *
 * RGBA is resampled premultiplied (`convert("RGBa")`, resize, `convert("RGBA")`), except with NEAREST.
 */
import { convert } from "./pil-convert.ts";
import { bandCount, copyImage, crop } from "./pil-image.ts";
import type { Box, PilImage } from "./pil-image.ts";

/** Pillow's `Image.Resampling` values. */
export const Resampling = { NEAREST: 0, LANCZOS: 1, BILINEAR: 2, BICUBIC: 3, BOX: 4, HAMMING: 5 } as const;
export type ResamplingFilter = (typeof Resampling)[keyof typeof Resampling];

interface Filter {
  readonly weight: (x: number) => number;
  readonly support: number;
}

// Hamming's constants are C floats (0.54f, 0.46f) promoted to double.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const FILTERS: Record<Exclude<ResamplingFilter, 0>, Filter> = {
  [Resampling.BOX]: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  [Resampling.BILINEAR]: {
    support: 1,
    weight: (x) => {
      const ax = Math.abs(x);
      return ax < 1 ? 1 - ax : 0;
    },
  },
  [Resampling.HAMMING]: {
    support: 1,
    weight: (x) => {
      const ax = Math.abs(x);
      if (ax === 0) return 1;
      if (ax >= 1) return 0;
      const px = ax * Math.PI;
      return (Math.sin(px) / px) * (HAMMING_A + HAMMING_B * Math.cos(px));
    },
  },
  [Resampling.BICUBIC]: {
    // Keys' cubic convolution with a = −0.5.
    support: 2,
    weight: (x) => {
      const ax = Math.abs(x);
      if (ax < 1) return (1.5 * ax - 2.5) * ax * ax + 1;
      if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * -0.5;
      return 0;
    },
  },
  [Resampling.LANCZOS]: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;

/** One axis' filter: for each output index the first source index, the tap count and 22-bit weights. */
interface AxisCoefficients {
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly taps: number;
  readonly weights: Int32Array;
}

/** Resample.c `precompute_coeffs` then `normalize_coeffs_8bpc`; `in0`, `in1` are C floats. */
function axisCoefficients(inSize: number, in0: number, in1: number, outSize: number, filter: Filter): AxisCoefficients {
  const scale = Math.fround(in1 - in0) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const raw = new Float64Array(taps);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * ss);
      raw[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const k = total !== 0 ? raw[x]! / total : raw[x]!;
      weights[xx * taps + x] = Math.trunc(k < 0 ? -0.5 + k * (1 << PRECISION_BITS) : 0.5 + k * (1 << PRECISION_BITS));
    }
    first[xx] = xmin;
    count[xx] = Math.max(xmax, 0);
  }
  return { first, count, taps, weights };
}

function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** The horizontal pass over source rows `rowStart …`, into an image `outWidth` wide and `rows` high. */
function resampleRows(
  src: PilImage,
  rowStart: number,
  rows: number,
  outWidth: number,
  coeffs: AxisCoefficients,
): Uint8Array {
  const bands = bandCount(src.mode);
  const out = new Uint8Array(outWidth * rows * bands);
  const { first, count, taps, weights } = coeffs;
  const data = src.data;
  const init = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + rowStart) * src.width * bands;
    const outBase = y * outWidth * bands;
    for (let xx = 0; xx < outWidth; xx++) {
      const kBase = xx * taps;
      const n = count[xx]!;
      const inBase = rowBase + first[xx]! * bands;
      for (let b = 0; b < bands; b++) {
        let sum = init;
        for (let x = 0, p = inBase + b; x < n; x++, p += bands) sum += data[p]! * weights[kBase + x]!;
        out[outBase + xx * bands + b] = clip8(sum);
      }
    }
  }
  return out;
}

/** The vertical pass; `first` indices are relative to the rows `src` holds. */
function resampleColumns(src: PilImage, outHeight: number, coeffs: AxisCoefficients, shift: number): Uint8Array {
  const bands = bandCount(src.mode);
  const rowLength = src.width * bands;
  const out = new Uint8Array(rowLength * outHeight);
  const { first, count, taps, weights } = coeffs;
  const data = src.data;
  const init = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < outHeight; yy++) {
    const kBase = yy * taps;
    const n = count[yy]!;
    const inBase = (first[yy]! - shift) * rowLength;
    const outBase = yy * rowLength;
    for (let i = 0; i < rowLength; i++) {
      let sum = init;
      for (let y = 0, p = inBase + i; y < n; y++, p += rowLength) sum += data[p]! * weights[kBase + y]!;
      out[outBase + i] = clip8(sum);
    }
  }
  return out;
}

/** Resample.c `ImagingResampleInner`. */
function resampleConvolution(image: PilImage, width: number, height: number, filter: Filter, box: Box): PilImage {
  const needHorizontal = width !== image.width || box[0] !== 0 || box[2] !== width;
  const needVertical = height !== image.height || box[1] !== 0 || box[3] !== height;
  const horizontal = axisCoefficients(image.width, box[0], box[2], width, filter);
  const vertical = axisCoefficients(image.height, box[1], box[3], height, filter);

  let current = image;
  let shift = 0;
  if (needHorizontal) {
    const firstRow = vertical.first[0]!;
    const lastRow = vertical.first[height - 1]! + vertical.count[height - 1]!;
    const rows = Math.max(lastRow - firstRow, 0);
    current = { mode: image.mode, width, height: rows, data: resampleRows(image, firstRow, rows, width, horizontal) };
    shift = firstRow;
  }
  if (needVertical) {
    const data = resampleColumns(current, height, vertical, shift);
    current = { mode: image.mode, width: current.width, height, data };
  }
  return current === image ? copyImage(image) : current;
}

/**
 * NEAREST: `ImagingTransform` with an affine scale (Geometry.c `ImagingScaleAffine`). Source positions are found
 * by adding the step once per pixel in double precision, and truncated; pixels mapping outside stay 0.
 */
function resampleNearest(image: PilImage, width: number, height: number, box: Box): PilImage {
  const bands = bandCount(image.mode);
  const out = new Uint8Array(width * height * bands);
  const ax = Math.fround(box[2] - box[0]) / width;
  const ay = Math.fround(box[3] - box[1]) / height;
  const sourceX = new Int32Array(width);
  let xo = box[0] + ax * 0.5;
  for (let x = 0; x < width; x++) {
    sourceX[x] = xo < 0 ? -1 : Math.trunc(xo);
    xo += ax;
  }
  let yo = box[1] + ay * 0.5;
  for (let y = 0; y < height; y++) {
    const yi = yo < 0 ? -1 : Math.trunc(yo);
    yo += ay;
    if (yi < 0 || yi >= image.height) continue;
    for (let x = 0; x < width; x++) {
      const xi = sourceX[x]!;
      if (xi < 0 || xi >= image.width) continue;
      const s = (yi * image.width + xi) * bands;
      const d = (y * width + x) * bands;
      for (let b = 0; b < bands; b++) out[d + b] = image.data[s + b]!;
    }
  }
  return { mode: image.mode, width, height, data: out };
}

/**
 * `image.resize((width, height), resample, box)`. `resample` defaults to BICUBIC, Pillow 9.5's default for
 * these modes. `box` is the source region (floats allowed, stored as C floats as Pillow does), by default the
 * whole image; it may be empty in one direction, which samples around that edge (A1111's "resize and fill" uses
 * this to stretch the outermost rows).
 */
export function resize(
  image: PilImage,
  width: number,
  height: number,
  resample: ResamplingFilter = Resampling.BICUBIC,
  box?: Box,
): PilImage {
  const region: Box = box ? (box.map((v) => Math.fround(v)) as unknown as Box) : [0, 0, image.width, image.height];
  const whole = region[0] === 0 && region[1] === 0 && region[2] === image.width && region[3] === image.height;
  if (width === image.width && height === image.height && whole) return copyImage(image);

  if (image.mode === "RGBA" && resample !== Resampling.NEAREST) {
    return convert(resize(convert(image, "RGBa"), width, height, resample, box), "RGBA");
  }

  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError("height and width must be > 0");
  }
  if (region[0] < 0 || region[1] < 0) throw new RangeError("box offset can't be negative");
  if (region[2] > image.width || region[3] > image.height) throw new RangeError("box can't exceed original image size");
  if (region[2] - region[0] < 0 || region[3] - region[1] < 0) throw new RangeError("box can't be empty");

  // _imaging.c: a whole-pixel box of exactly the output size is a crop (the difference is a C float).
  const integral = Number.isInteger(region[0]) && Number.isInteger(region[1]);
  const boxWidth = Math.fround(region[2] - region[0]);
  const boxHeight = Math.fround(region[3] - region[1]);
  if (integral && boxWidth === width && boxHeight === height) {
    return crop(image, region.map((v) => Math.trunc(v)) as unknown as Box);
  }
  if (resample === Resampling.NEAREST) return resampleNearest(image, width, height, region);
  return resampleConvolution(image, width, height, FILTERS[resample], region);
}
