/**
 * Pillow's `image.filter(ImageFilter.GaussianBlur(radius))` (Pillow 9.5, libImaging/BoxBlur.c), bit for bit: three
 * passes of an "extended box" blur per axis (Gwosdek et al., "Theoretical foundations of Gaussian convolution by
 * extended box filtering", SSVM 2011), all rows first and then all columns, every pass rounded to 8 bits.
 *
 * An extended box of radius r + a (integer r, fraction a) weighs the 2r + 1 central pixels by `ww` and the two next
 * ones by `fw`, in 24-bit fixed point; edges repeat the outermost pixel. A1111's `masking.fill` uses it.
 */
import { bandCount } from "./pil-image.ts";
import type { PilImage } from "./pil-image.ts";

const f32 = Math.fround;

/**
 * `ImagingGaussianBlur`'s box radius for a Gaussian of standard deviation `radius` over `passes` boxes, in the C
 * float arithmetic Pillow uses (the one square root is double).
 */
export function extendedBoxRadius(radius: number, passes: number): number {
  const r = f32(radius);
  const sigma2 = f32(f32(r * r) / passes);
  const boxLength = f32(Math.sqrt(12.0 * sigma2 + 1.0));
  const l = f32(Math.floor((boxLength - 1.0) / 2.0));
  const numerator = f32(f32(f32(2 * l) + 1) * f32(f32(l * f32(l + 1)) - f32(3 * sigma2)));
  const l1 = f32(l + 1);
  const a = f32(numerator / f32(6 * f32(sigma2 - f32(l1 * l1))));
  return f32(l + a);
}

/**
 * One extended-box pass along lines of `count` samples `step` apart, starting at each of `starts`
 * (`ImagingLineBoxBlur8/32` in their edge-clamping form).
 */
function boxBlurLines(data: Uint8Array, lineStarts: Int32Array, count: number, step: number, boxRadius: number): void {
  const radius = Math.trunc(boxRadius);
  const ww = Math.trunc(f32(16777216 / f32(f32(boxRadius * 2) + 1)));
  const fw = Math.floor((16777216 - (radius * 2 + 1) * ww) / 2);
  const line = new Uint8Array(count);
  const last = count - 1;
  const at = (i: number) => line[i < 0 ? 0 : i > last ? last : i]!;
  for (const start of lineStarts) {
    for (let i = 0, p = start; i < count; i++, p += step) line[i] = data[p]!;
    let acc = 0;
    for (let d = -radius; d <= radius; d++) acc += at(d);
    for (let x = 0, p = start; x < count; x++, p += step) {
      const bulk = acc * ww + (at(x - radius - 1) + at(x + radius + 1)) * fw;
      data[p] = (bulk + (1 << 23)) >>> 24;
      acc += at(x + radius + 1) - at(x - radius);
    }
  }
}

/** A box blur of (fractional) radius `boxRadius`, `passes` times along rows, then as often along columns. */
export function pilBoxBlur(image: PilImage, boxRadius: number, passes = 1): PilImage {
  if (boxRadius < 0) throw new RangeError("radius must be >= 0");
  const bands = bandCount(image.mode);
  const { width, height } = image;
  const data = image.data.slice();
  const rowStarts = new Int32Array(height * bands);
  for (let y = 0; y < height; y++) for (let b = 0; b < bands; b++) rowStarts[y * bands + b] = y * width * bands + b;
  const columnStarts = new Int32Array(width * bands);
  for (let i = 0; i < columnStarts.length; i++) columnStarts[i] = i;
  if (width > 0 && height > 0) {
    for (let i = 0; i < passes; i++) boxBlurLines(data, rowStarts, width, bands, boxRadius);
    for (let i = 0; i < passes; i++) boxBlurLines(data, columnStarts, height, width * bands, boxRadius);
  }
  return { ...image, data };
}

/** `image.filter(ImageFilter.GaussianBlur(radius))`: every band, RGBa included, blurred as it is stored. */
export function pilGaussianBlur(image: PilImage, radius: number): PilImage {
  return pilBoxBlur(image, extendedBoxRadius(radius, 3), 3);
}
