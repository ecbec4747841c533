/**
 * Nearest-neighbour resize of NCHW latents, torch `interpolate(mode="nearest")` (source index floor(dst·in/out)) or
 * `"nearest-exact"` (floor((dst + 0.5)·in/out)): hires fix's "Latent (nearest)" modes.
 */
export function resizeLatentNearest(
  src: Float32Array,
  planes: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  exact: boolean,
): Float32Array {
  const out = new Float32Array(planes * outH * outW);
  const offset = exact ? 0.5 : 0;
  const index = (dst: number, inSize: number, outSize: number) => Math.min(Math.floor((dst + offset) * (inSize / outSize)), inSize - 1);
  for (let plane = 0; plane < planes; plane++) {
    for (let y = 0; y < outH; y++) {
      const sy = index(y, inH, outH);
      for (let x = 0; x < outW; x++) out[plane * outH * outW + y * outW + x] = src[plane * inH * inW + sy * inW + index(x, inW, outW)]!;
    }
  }
  return out;
}

/**
 * Bilinear resize of NCHW latents, torch `interpolate(mode="bilinear", align_corners=False)`: img2img resize
 * mode 3 ("Just resize (latent upscale)") and latent hires fix.
 */
export function resizeLatentBilinear(
  src: Float32Array,
  batch: number,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
): Float32Array {
  const out = new Float32Array(batch * channels * outH * outW);
  const sy = inH / outH;
  const sx = inW / outW;
  for (let plane = 0; plane < batch * channels; plane++) {
    const ib = plane * inH * inW;
    const ob = plane * outH * outW;
    for (let y = 0; y < outH; y++) {
      const fy = Math.max(0, (y + 0.5) * sy - 0.5);
      const y0 = Math.min(Math.floor(fy), inH - 1);
      const y1 = Math.min(y0 + 1, inH - 1);
      const wy = fy - y0;
      for (let x = 0; x < outW; x++) {
        const fx = Math.max(0, (x + 0.5) * sx - 0.5);
        const x0 = Math.min(Math.floor(fx), inW - 1);
        const x1 = Math.min(x0 + 1, inW - 1);
        const wx = fx - x0;
        const top = src[ib + y0 * inW + x0]! * (1 - wx) + src[ib + y0 * inW + x1]! * wx;
        const bottom = src[ib + y1 * inW + x0]! * (1 - wx) + src[ib + y1 * inW + x1]! * wx;
        out[ob + y * outW + x] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}
