/** Conversions between VAE pixel tensors (NCHW float, [-1, 1]) and 8-bit interleaved RGB images. */

/**
 * A1111's conversion (processing.py): clamp((x + 1)/2, 0, 1) · 255, then numpy's astype(uint8), which truncates
 * (diffusers rounds instead; docs/engine-reference.md §1.3).
 */
export function tensorToRgb(pixels: Float32Array, index: number, width: number, height: number): Buffer {
  const plane = width * height;
  const base = index * 3 * plane;
  const out = Buffer.alloc(plane * 3);
  for (let c = 0; c < 3; c++) {
    const channel = pixels.subarray(base + c * plane, base + (c + 1) * plane);
    for (let p = 0, o = c; p < plane; p++, o += 3) {
      const v = (channel[p]! + 1) * 0.5;
      // Non-negative after the clamp, so `| 0` truncates like numpy's astype(uint8).
      out[o] = v <= 0 ? 0 : v >= 1 ? 255 : (255 * v) | 0;
    }
  }
  return out;
}

/** The 256 values A1111 gives a byte: `np.float32(x) / 255`, then `2x − 1` in float32 (torch). */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => Math.fround(Math.fround(v / 255) * 2 - 1));

/** 8-bit RGB → [-1, 1] planes written at `index` of an NCHW batch (A1111: x/255, then 2x − 1, in float32). */
export function rgbToTensor(rgb: Uint8Array, target: Float32Array, index: number, width: number, height: number): void {
  const plane = width * height;
  const base = index * 3 * plane;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) target[base + c * plane + p] = BYTE_TO_UNIT[rgb[p * 3 + c]!]!;
  }
}
