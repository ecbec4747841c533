import { churn, eulerStep, reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/**
 * Heun's method, Karras et al. (2022) Algorithm 2 (k-diffusion `sample_heun`): an Euler step, then the average of
 * the slopes at both ends. Two denoiser calls per step, one on the last step (to σ = 0, plain Euler).
 */
export async function sampleHeun(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const x = args.x.slice();
  const x2 = new Float32Array(x.length);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigmaHat = churn(x, args, i);
    const sigmaNext = sigmas[i + 1];
    const denoised = await args.denoise(x, sigmaHat);
    if (sigmaNext === 0) {
      eulerStep(x, denoised, sigmaHat, sigmaNext);
    } else {
      const dt = sigmaNext - sigmaHat;
      for (let k = 0; k < x.length; k++) x2[k] = x[k] + ((x[k] - denoised[k]) / sigmaHat) * dt;
      const denoised2 = await args.denoise(x2, sigmaNext);
      for (let k = 0; k < x.length; k++) {
        const d = (x[k] - denoised[k]) / sigmaHat;
        const d2 = (x2[k] - denoised2[k]) / sigmaNext;
        x[k] += ((d + d2) / 2) * dt;
      }
    }
    await reportStep(args, i, denoised);
  }
  return x;
}
