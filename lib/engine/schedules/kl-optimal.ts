/**
 * A1111 "KL Optimal" (modules/sd_schedulers.py `kl_optimal`): uniform in arctan σ. It returns n+1 values and,
 * unlike the others, ends at σmin rather than 0, so the last step leaves σmin of noise, as in A1111.
 */
export function sigmasKlOptimal(n: number, sigmaMin: number, sigmaMax: number): Float64Array {
  const alphaMin = Math.atan(sigmaMin);
  const alphaMax = Math.atan(sigmaMax);
  const sigmas = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) sigmas[i] = Math.tan((i / n) * alphaMin + (1 - i / n) * alphaMax);
  return sigmas;
}
