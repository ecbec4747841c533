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

/** `ImagingHorizontalBoxBlur`'s weights: `ww` for the 2r + 1 central samples, `fw` for the two beyond. */
function boxWeights(boxRadius: number): { radius: number; ww: number; fw: number } {
  const radius = Math.trunc(boxRadius);
  const ww = Math.trunc(f32(16777216 / f32(f32(boxRadius * 2) + 1)));
  return { radius, ww, fw: Math.floor((16777216 - (radius * 2 + 1) * ww) / 2) };
}

/** One pass along every row (`ImagingLineBoxBlur8/32`), each row padded with copies of its end pixels. */
function blurRows(data: Uint8Array, width: number, height: number, bands: number, boxRadius: number): void {
  const { radius, ww, fw } = boxWeights(boxRadius);
  const margin = radius + 1;
  const line = new Int32Array(width + 2 * margin);
  for (let y = 0; y < height; y++) {
    for (let b = 0; b < bands; b++) {
      const start = y * width * bands + b;
      for (let x = 0, p = start; x < width; x++, p += bands) line[margin + x] = data[p]!;
      line.fill(line[margin]!, 0, margin);
      line.fill(line[margin + width - 1]!, margin + width);
      let acc = 0;
      for (let i = margin - radius; i <= margin + radius; i++) acc += line[i]!;
      for (let x = 0, c = margin, p = start; x < width; x++, c++, p += bands) {
        data[p] = (acc * ww + (line[c - radius - 1]! + line[c + radius + 1]!) * fw + (1 << 23)) >>> 24;
        acc += line[c + radius + 1]! - line[c - radius]!;
      }
    }
  }
}

/** The same pass down every column (Pillow transposes and blurs rows), computed a whole row at a time. */
function blurColumns(data: Uint8Array, width: number, height: number, bands: number, boxRadius: number): void {
  const { radius, ww, fw } = boxWeights(boxRadius);
  const rowLength = width * bands;
  const source = data.slice();
  const row = (y: number) => (y < 0 ? 0 : y >= height ? height - 1 : y) * rowLength;
  const acc = new Float64Array(rowLength);
  for (let d = -radius; d <= radius; d++) {
    const r = row(d);
    for (let i = 0; i < rowLength; i++) acc[i] += source[r + i]!;
  }
  for (let y = 0; y < height; y++) {
    const before = row(y - radius - 1);
    const after = row(y + radius + 1);
    const leaving = row(y - radius);
    const out = y * rowLength;
    for (let i = 0; i < rowLength; i++) {
      const next = source[after + i]!;
      data[out + i] = (acc[i]! * ww + (source[before + i]! + next) * fw + (1 << 23)) >>> 24;
      acc[i] += next - source[leaving + i]!;
    }
  }
}

/** A box blur of (fractional) radius `boxRadius`, `passes` times along rows, then as often along columns. */
export function pilBoxBlur(image: PilImage, boxRadius: number, passes = 1): PilImage {
  if (boxRadius < 0) throw new RangeError("radius must be >= 0");
  const bands = bandCount(image.mode);
  const { width, height } = image;
  const data = image.data.slice();
  // Radius 0 weighs each pixel by 2^24 alone: every pass is the identity.
  if (width > 0 && height > 0 && boxRadius > 0) {
    for (let i = 0; i < passes; i++) blurRows(data, width, height, bands, boxRadius);
    for (let i = 0; i < passes; i++) blurColumns(data, width, height, bands, boxRadius);
  }
  return { ...image, data };
}

/** `image.filter(ImageFilter.GaussianBlur(radius))`: every band, RGBa included, blurred as it is stored. */
export function pilGaussianBlur(image: PilImage, radius: number): PilImage {
  return pilBoxBlur(image, extendedBoxRadius(radius, 3), 3);
}
