import { churn, eulerStep, reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/** Euler steps, Karras et al. (2022) Algorithm 2 with optional churn (k-diffusion `sample_euler`). */
export async function sampleEuler(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const x = args.x.slice();
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigmaHat = churn(x, args, i);
    const denoised = await args.denoise(x, sigmaHat);
    eulerStep(x, denoised, sigmaHat, sigmas[i + 1]);
    await reportStep(args, i, denoised);
  }
  return x;
}
