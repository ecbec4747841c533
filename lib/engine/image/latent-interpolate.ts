/**
 * `torch.nn.functional.interpolate(x, size=(h, w), mode, align_corners=False, antialias)` on float32 NCHW tensors,
 * as PyTorch's CPU kernels compute it (aten/src/ATen/native/cpu/UpSampleKernel.cpp and native/UpSample.h, PyTorch
 * 2.x). A1111 resizes latents with it: hires fix's latent upscalers (modules/processing.py `sample_hr_pass`, the
 * modes of `shared.latent_upscale_modes`) and img2img's "Just resize (latent upscale)" (bilinear).
 *
 * Every mode is separable, and torch evaluates it in float32 as one pass along the width followed by one along the
 * height, rounding the width pass to float32 before the height pass:
 * - the non-antialiased kernel (`upsample_generic_Nd_kernel_impl`) computes each output as
 *   Σ_j wy_j · (Σ_i wx_i · x[iy_j][ix_i]), the inner sum being a float32 value, which is exactly a width pass
 *   followed by a height pass over its results;
 * - the antialiased kernel (`separable_upsample_generic_Nd_kernel_impl`) runs the width pass into a float32 buffer,
 *   then the height pass, and skips the pass of a dimension whose size is unchanged.
 * Each output is accumulated in tap order, `acc = x0·w0`, then `acc += xj·wj`, each product and sum rounded to
 * float32. This module follows that order with `Math.fround` at every float32 operation and plain double arithmetic
 * where the C++ promotes to double, so it reproduces torch's kernels as compiled without fused multiply-add
 * contraction (`ATEN_CPU_CAPABILITY=default`) bit for bit. The AVX2/AVX512 builds of the same kernels contract some
 * products and sums into FMAs (which ones depends on the compiler) and differ from that in the last bits: by up to
 * about 1.4e-6 of the largest output for bicubic, whose cubic coefficients cancel, and 2e-7 for the other modes.
 * CUDA's kernels are organised differently and also use FMAs. PyTorch 2.x also sends bilinear outputs with
 * h + w ≤ 128 to its channels-last kernel, which sums the four products x·(wy·wx) instead (about 1.4e-7 apart).
 *
 * Per axis and mode (scale = float32(in / out)):
 * - nearest: source floor(float32(dst·scale)), clamped to in − 1 (`nearest_neighbor_compute_source_index`);
 * - nearest-exact: floor(float32((dst + 0.5)·scale)), clamped (`nearest_neighbor_exact_compute_source_index`);
 * - bilinear: src = float32(scale·(dst + 0.5)) − 0.5 in float32, clamped at 0 (`area_pixel_compute_source_index`),
 *   taps floor(src) and the next one inside the image, weights 1 − λ and λ = src − floor(src)
 *   (`compute_source_index_and_lambda`; PyTorch 2.x computes it in float32, 1.13 computed src in double);
 * - bicubic: the same src without the clamp, four taps floor(src) − 1 … floor(src) + 2 clamped to the image, Keys'
 *   cubic convolution with A = −0.75 (`get_cubic_upsample_coefficients`);
 * - antialiased bilinear/bicubic (`_compute_indices_min_size_weights_aa`, after Pillow's ImagingResample): the
 *   triangle filter (support 1) or Keys' cubic with a = −0.5 (support 2, `HelperInterpCubic::aa_filter`), centred
 *   at float32(scale·(dst + 0.5)); when shrinking (scale ≥ 1) the support is multiplied by the scale and the filter
 *   argument divided by it; the window [xmin, xmin + xsize) is cut to the image and its weights normalised to sum 1.
 */

export type LatentInterpolationMode = "nearest" | "nearest-exact" | "bilinear" | "bicubic";

/**
 * Which PyTorch's CPU arithmetic to follow: "2" (2.0 and later, what A1111 v1.10 installs) or "1.13", whose bilinear
 * and bicubic source coordinates and antialiased cubic filter were partly computed in double.
 */
export type TorchKernels = "2" | "1.13";

export interface InterpolateOptions {
  /** torch's `antialias` (bilinear and bicubic only); default false. */
  readonly antialias?: boolean;
  /** Default "2". */
  readonly kernels?: TorchKernels;
}

const f32 = Math.fround;

/** The taps of one axis: for output position o, `count[o]` source indices and float32 weights from `o · width`. */
interface AxisTaps {
  readonly width: number;
  readonly count: Int32Array;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

function allocateTaps(outSize: number, width: number): AxisTaps {
  return {
    width,
    count: new Int32Array(outSize).fill(width),
    index: new Int32Array(outSize * width),
    weight: new Float32Array(outSize * width),
  };
}

function nearestTaps(inSize: number, outSize: number, exact: boolean): AxisTaps {
  const taps = allocateTaps(outSize, 1);
  const scale = f32(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    // The products are exact in double (float32 × a small half-integer), so one fround is the float32 product.
    const source = exact ? f32((o + 0.5) * scale) : f32(o * scale);
    taps.index[o] = Math.min(Math.floor(source), inSize - 1);
    taps.weight[o] = 1;
  }
  return taps;
}

/** `area_pixel_compute_source_index(scale, dst, align_corners=False)` in float32. */
function sourceIndex(scale: number, dst: number): number {
  return f32(f32(scale * f32(dst + 0.5)) - 0.5);
}

function bilinearTaps(inSize: number, outSize: number, kernels: TorchKernels): AxisTaps {
  const taps = allocateTaps(outSize, 2);
  const scale = f32(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    // 1.13 computed the source index in double (`acc_type<float, false>`) and truncated it; 2.x uses float
    // (`opmath_type`) and `guard_index_and_lambda`.
    const source = Math.max(kernels === "1.13" ? scale * (o + 0.5) - 0.5 : sourceIndex(scale, o), 0);
    const i0 = Math.min(Math.floor(source), inSize - 1);
    const lambda1 = Math.min(Math.max(f32(source - i0), 0), 1);
    taps.index[2 * o] = i0;
    taps.index[2 * o + 1] = i0 < inSize - 1 ? i0 + 1 : i0;
    taps.weight[2 * o] = f32(1 - lambda1);
    taps.weight[2 * o + 1] = lambda1;
  }
  return taps;
}

// UpSample.h `cubic_convolution1` (|x| ≤ 1): ((A + 2)·x − (A + 3))·x·x + 1, and `cubic_convolution2` (1 < |x| < 2):
// ((A·x − 5A)·x + 8A)·x − 4A, each operation in float32 (A, 5A, 8A, 4A are exact).
function cubicNear(x: number, a: number): number {
  const p = f32(f32((a + 2) * x) - (a + 3));
  return f32(f32(f32(p * x) * x) + 1);
}

function cubicFar(x: number, a: number): number {
  const p = f32(f32(a * x) - 5 * a);
  const q = f32(f32(p * x) + 8 * a);
  return f32(f32(q * x) - 4 * a);
}

function bicubicTaps(inSize: number, outSize: number, kernels: TorchKernels): AxisTaps {
  const taps = allocateTaps(outSize, 4);
  const scale = f32(inSize / outSize);
  const a = -0.75;
  for (let o = 0; o < outSize; o++) {
    let i0: number;
    let t: number;
    if (kernels === "1.13") {
      // A double source index, floored after rounding to float (`floorf`), the fraction taken from the double.
      const source = scale * (o + 0.5) - 0.5;
      i0 = Math.floor(f32(source));
      t = f32(source - i0);
    } else {
      const source = sourceIndex(scale, o);
      i0 = Math.min(Math.floor(source), inSize - 1);
      t = Math.min(Math.max(f32(source - i0), 0), 1);
    }
    const u = f32(1 - t);
    taps.weight[4 * o] = cubicFar(f32(t + 1), a);
    taps.weight[4 * o + 1] = cubicNear(t, a);
    taps.weight[4 * o + 2] = cubicNear(u, a);
    taps.weight[4 * o + 3] = cubicFar(f32(u + 1), a);
    for (let j = 0; j < 4; j++) taps.index[4 * o + j] = Math.max(Math.min(i0 - 1 + j, inSize - 1), 0);
  }
  return taps;
}

function triangleFilter(x: number): number {
  const ax = Math.abs(x);
  return ax < 1 ? f32(1 - ax) : 0;
}

function keysFilter(x: number): number {
  const ax = Math.abs(x);
  if (ax < 1) return cubicNear(ax, -0.5);
  if (ax < 2) return cubicFar(ax, -0.5);
  return 0;
}

/** PyTorch 1.13's filter evaluated the |x| < 1 piece in double (Pillow's `bicubic_filter` form). */
function keysFilter113(x: number): number {
  const ax = Math.abs(x);
  if (ax < 1) return f32((1.5 * ax - 2.5) * ax * ax + 1);
  if (ax < 2) return cubicFar(ax, -0.5);
  return 0;
}

/** Antialiased taps: `interpSize` is torch's 2 (bilinear) or 4 (bicubic), the filter's support being half of it. */
function antialiasTaps(inSize: number, outSize: number, interpSize: 2 | 4, kernels: TorchKernels): AxisTaps {
  const filter = interpSize === 2 ? triangleFilter : kernels === "1.13" ? keysFilter113 : keysFilter;
  const scale = f32(inSize / outSize);
  const support = scale >= 1 ? f32(interpSize * 0.5 * scale) : interpSize * 0.5;
  const invScale = scale >= 1 ? f32(1 / scale) : 1;
  const taps = allocateTaps(outSize, Math.ceil(support) * 2 + 1);
  for (let o = 0; o < outSize; o++) {
    const center = f32(scale * (o + 0.5));
    // C++ casts to int64, truncating towards zero, before clamping at the image edges.
    const xmin = Math.max(Math.trunc(f32(center - support) + 0.5), 0);
    const xsize = Math.min(Math.max(Math.min(Math.trunc(f32(center + support) + 0.5), inSize) - xmin, 0), taps.width);
    const base = o * taps.width;
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      const w = filter(f32((f32(j + xmin - center) + 0.5) * invScale));
      taps.index[base + j] = xmin + j;
      taps.weight[base + j] = w;
      total = f32(total + w);
    }
    if (total !== 0) for (let j = 0; j < xsize; j++) taps.weight[base + j] = f32(taps.weight[base + j]! / total);
    taps.count[o] = xsize;
  }
  return taps;
}

function axisTaps(inSize: number, outSize: number, mode: LatentInterpolationMode, options: Required<InterpolateOptions>): AxisTaps {
  const { antialias, kernels } = options;
  switch (mode) {
    case "nearest":
      return nearestTaps(inSize, outSize, false);
    case "nearest-exact":
      return nearestTaps(inSize, outSize, true);
    case "bilinear":
      return antialias ? antialiasTaps(inSize, outSize, 2, kernels) : bilinearTaps(inSize, outSize, kernels);
    case "bicubic":
      return antialias ? antialiasTaps(inSize, outSize, 4, kernels) : bicubicTaps(inSize, outSize, kernels);
  }
}

/** Resamples along the last axis: `rows` rows of `inW` values into rows of `taps.count.length` values. */
function widthPass(src: Float32Array, rows: number, inW: number, taps: AxisTaps): Float32Array {
  const outW = taps.count.length;
  const out = new Float32Array(rows * outW);
  const { width, count, index, weight } = taps;
  for (let r = 0; r < rows; r++) {
    const row = r * inW;
    const dst = r * outW;
    for (let o = 0; o < outW; o++) {
      const base = o * width;
      let acc = f32(src[row + index[base]!]! * weight[base]!);
      for (let j = 1; j < count[o]!; j++) acc = f32(acc + f32(src[row + index[base + j]!]! * weight[base + j]!));
      out[dst + o] = acc;
    }
  }
  return out;
}

/** Resamples along the second-to-last axis of `planes` planes of `inH` rows of `w` values. */
function heightPass(src: Float32Array, planes: number, inH: number, w: number, taps: AxisTaps): Float32Array {
  const outH = taps.count.length;
  const out = new Float32Array(planes * outH * w);
  const { width, count, index, weight } = taps;
  for (let p = 0; p < planes; p++) {
    const plane = p * inH * w;
    for (let o = 0; o < outH; o++) {
      const base = o * width;
      const dst = (p * outH + o) * w;
      const first = plane + index[base]! * w;
      const w0 = weight[base]!;
      for (let x = 0; x < w; x++) out[dst + x] = f32(src[first + x]! * w0);
      for (let j = 1; j < count[o]!; j++) {
        const rowJ = plane + index[base + j]! * w;
        const wj = weight[base + j]!;
        for (let x = 0; x < w; x++) out[dst + x] = f32(out[dst + x]! + f32(src[rowJ + x]! * wj));
      }
    }
  }
  return out;
}

/**
 * `torch.nn.functional.interpolate(src, size, mode, align_corners=False, antialias)` of a float32 NCHW tensor of
 * `shape` [n, c, h, w], returning the [n, c, size[0], size[1]] result. A dimension whose size is unchanged is copied
 * (torch computes identity weights there, which gives the same values for finite inputs). Like torch, the nearest
 * modes have no antialiased variant.
 */
export function interpolateLatents(
  src: Float32Array,
  shape: readonly [number, number, number, number],
  size: readonly [number, number],
  mode: LatentInterpolationMode,
  options: InterpolateOptions = {},
): Float32Array {
  const settings: Required<InterpolateOptions> = { antialias: options.antialias ?? false, kernels: options.kernels ?? "2" };
  const { antialias } = settings;
  const [n, c, inH, inW] = shape;
  const [outH, outW] = size;
  for (const d of [...shape, ...size]) {
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`sizes must be positive integers, got ${shape} -> ${size}`);
  }
  if (src.length !== n * c * inH * inW) throw new RangeError(`expected ${n * c * inH * inW} values for shape ${shape}, got ${src.length}`);
  if (antialias && (mode === "nearest" || mode === "nearest-exact")) {
    throw new RangeError("anti-alias is only supported for the bilinear and bicubic modes");
  }
  const planes = n * c;
  const wide = outW === inW ? src : widthPass(src, planes * inH, inW, axisTaps(inW, outW, mode, settings));
  if (outH !== inH) return heightPass(wide, planes, inH, outW, axisTaps(inH, outH, mode, settings));
  return wide === src ? src.slice() : wide;
}
