/**
 * `n` evenly spaced values from `start` to `end` inclusive, as numpy/torch `linspace` (one value: `start`).
 * Schedules are built in float64 here; torch builds them in float32, which differs by ~1e-7 relative.
 */
export function linspace(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (end - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = start + step * i;
  out[n - 1] = end;
  return out;
}

/** k-diffusion `append_zero`: the sampler's last step goes to sigma 0 (the clean image). */
export function appendZero(sigmas: ArrayLike<number>): Float64Array {
  const out = new Float64Array(sigmas.length + 1);
  out.set(sigmas);
  return out;
}
