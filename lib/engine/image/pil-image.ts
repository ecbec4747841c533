/**
 * An 8-bit image as Pillow holds it, with interleaved pixels: the common type of this folder's Pillow and OpenCV
 * reproductions, plus the Pillow calls that only move pixels (`Image.new`, `crop`, `getbbox`, `split`, `point`).
 *
 * Modes are Pillow's (https://pillow.readthedocs.io/en/stable/handbook/concepts.html#modes): "L" one band,
 * "RGB" three, "RGBA" four with straight alpha, "RGBa" four with premultiplied alpha. Pillow keeps RGB pixels in
 * four bytes internally; here they are three, which no operation in this folder can tell apart.
 */
import { roundHalfEven } from "./round-half-even.ts";

export type PilMode = "L" | "RGB" | "RGBA" | "RGBa";

export interface PilImage {
  readonly mode: PilMode;
  readonly width: number;
  readonly height: number;
  /** `width · height · bands(mode)` bytes, row-major, bands interleaved. */
  readonly data: Uint8Array;
}

/** (left, upper, right, lower), Pillow's box convention: right and lower are exclusive. */
export type Box = readonly [left: number, upper: number, right: number, lower: number];

export function bandCount(mode: PilMode): number {
  return mode === "L" ? 1 : mode === "RGB" ? 3 : 4;
}

/** Wraps existing bytes as an image after checking their length. */
export function pilImage(mode: PilMode, width: number, height: number, data: Uint8Array): PilImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0) {
    throw new RangeError(`bad image size ${width}x${height}`);
  }
  const expected = width * height * bandCount(mode);
  if (data.length !== expected) {
    throw new RangeError(`${mode} ${width}x${height} needs ${expected} bytes, got ${data.length}`);
  }
  return { mode, width, height, data };
}

/** `Image.new(mode, (width, height), color)`; `color` gives one value per band and defaults to all zeros. */
export function newImage(mode: PilMode, width: number, height: number, color?: readonly number[]): PilImage {
  const bands = bandCount(mode);
  const data = new Uint8Array(width * height * bands);
  if (color !== undefined) {
    if (color.length !== bands) throw new RangeError(`${mode} needs ${bands} colour values, got ${color.length}`);
    if (bands === 1) data.fill(color[0]!);
    else for (let i = 0; i < data.length; i += bands) for (let b = 0; b < bands; b++) data[i + b] = color[b]!;
  }
  return { mode, width, height, data };
}

export function copyImage(image: PilImage): PilImage {
  return { ...image, data: image.data.slice() };
}

/**
 * `Image.crop(box)` (libImaging/Crop.c): the box may reach outside the image, and whatever lies outside is zero.
 * Pillow rounds the coordinates first; callers here pass integers.
 */
export function crop(image: PilImage, box: Box): PilImage {
  const [left, upper, right, lower] = box.map((v) => roundHalfEven(v)) as unknown as Box;
  if (right < left) throw new RangeError("Coordinate 'right' is less than 'left'");
  if (lower < upper) throw new RangeError("Coordinate 'lower' is less than 'upper'");
  const bands = bandCount(image.mode);
  const out = newImage(image.mode, right - left, lower - upper);
  const x0 = Math.max(left, 0);
  const x1 = Math.min(right, image.width);
  if (x1 <= x0) return out;
  for (let y = Math.max(upper, 0); y < Math.min(lower, image.height); y++) {
    const from = (y * image.width + x0) * bands;
    out.data.set(image.data.subarray(from, from + (x1 - x0) * bands), ((y - upper) * out.width + (x0 - left)) * bands);
  }
  return out;
}

/**
 * `Image.getbbox()` (libImaging/GetBBox.c, Pillow 9.5): the box of the non-zero pixels, or null when there are
 * none. A pixel counts as non-zero by its value in "L", by any of R, G, B in "RGB", and **by its alpha alone** in
 * "RGBA" and "RGBa".
 */
export function getBbox(image: PilImage): Box | null {
  const { width, height, data } = image;
  const bands = bandCount(image.mode);
  const first = bands === 4 ? 3 : 0;
  const last = bands === 4 ? 3 : bands - 1;
  let left = width;
  let upper = -1;
  let right = 0;
  let lower = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width * bands;
    let rowLeft = -1;
    let rowRight = -1;
    for (let x = 0; x < width; x++) {
      const p = row + x * bands;
      let set = false;
      for (let b = first; b <= last; b++) if (data[p + b] !== 0) set = true;
      if (set) {
        if (rowLeft < 0) rowLeft = x;
        rowRight = x;
      }
    }
    if (rowLeft >= 0) {
      left = Math.min(left, rowLeft);
      right = Math.max(right, rowRight + 1);
      if (upper < 0) upper = y;
      lower = y + 1;
    }
  }
  return upper < 0 ? null : [left, upper, right, lower];
}

/** One band as an "L" image (`Image.split()[band]`). */
export function getBand(image: PilImage, band: number): PilImage {
  const bands = bandCount(image.mode);
  if (band < 0 || band >= bands) throw new RangeError(`${image.mode} has no band ${band}`);
  const out = new Uint8Array(image.width * image.height);
  for (let i = 0, p = band; i < out.length; i++, p += bands) out[i] = image.data[p]!;
  return { mode: "L", width: image.width, height: image.height, data: out };
}

/** (min, max) of each band (`Image.getextrema()`; a one-band image gives one pair here too). */
export function getExtrema(image: PilImage): Array<[min: number, max: number]> {
  const bands = bandCount(image.mode);
  const extrema = Array.from({ length: bands }, (): [number, number] => [255, 0]);
  for (let p = 0; p < image.data.length; p += bands) {
    for (let b = 0; b < bands; b++) {
      const v = image.data[p + b]!;
      const pair = extrema[b]!;
      if (v < pair[0]) pair[0] = v;
      if (v > pair[1]) pair[1] = v;
    }
  }
  return image.data.length === 0 ? [] : extrema;
}

/**
 * `Image.point(lut)` with one 256-entry table applied to every band ("L" and "RGB", as ImageOps uses it;
 * Pillow's `point` with a function builds the same table from it).
 */
export function point(image: PilImage, lut: ArrayLike<number>): PilImage {
  if (lut.length !== 256) throw new RangeError("point() needs a 256-entry table per band");
  const table = Uint8Array.from(lut);
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = table[image.data[i]!]!;
  return { ...image, data: out };
}
