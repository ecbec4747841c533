import { churn, eulerStep, reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/**
 * DPM-Solver-2 inspired midpoint steps with Karras churn (k-diffusion `sample_dpm_2`): the slope is taken at the
 * log-midpoint σ_mid = √(σ̂·σ_next). The last step (to σ = 0) is plain Euler.
 */
export async function sampleDpm2(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const x = args.x.slice();
  const x2 = new Float32Array(x.length);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigmaHat = churn(x, args, i);
    const denoised = await args.denoise(x, sigmaHat);
    await midpointStep(args, x, x2, denoised, sigmaHat, sigmas[i + 1]);
    await reportStep(args, i, denoised);
  }
  return x;
}

/** Steps x from σ to σ_to along the slope at σ_mid (evaluated at x2 = Euler to σ_mid); Euler when σ_to is 0. */
export async function midpointStep(
  args: SamplerArgs,
  x: Float32Array,
  x2: Float32Array,
  denoised: Float32Array,
  sigma: number,
  sigmaTo: number,
): Promise<void> {
  if (sigmaTo === 0) {
    eulerStep(x, denoised, sigma, sigmaTo);
    return;
  }
  const sigmaMid = Math.exp(Math.log(sigma) + 0.5 * (Math.log(sigmaTo) - Math.log(sigma)));
  const ratio1 = (sigmaMid - sigma) / sigma;
  for (let k = 0; k < x.length; k++) x2[k] = x[k] + (x[k] - denoised[k]) * ratio1;
  const denoised2 = await args.denoise(x2, sigmaMid);
  const ratio2 = (sigmaTo - sigma) / sigmaMid;
  for (let k = 0; k < x.length; k++) x[k] += (x2[k] - denoised2[k]) * ratio2;
}
