import { getAncestralStep } from "./ancestral.ts";
import { addScaled, eulerStep, reportStep, scaleAndAdd } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/**
 * DPM-Solver++(2S) single-step midpoint steps down to σ_down, then fresh noise up to σ_next
 * (k-diffusion `sample_dpmpp_2s_ancestral`).
 */
export async function sampleDpmpp2sAncestral(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const x = args.x.slice();
  const x2 = new Float32Array(x.length);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigma = sigmas[i];
    const denoised = await args.denoise(x, sigma);
    const { sigmaDown, sigmaUp } = getAncestralStep(sigma, sigmas[i + 1], args.eta ?? 1);
    if (sigmaDown === 0) {
      eulerStep(x, denoised, sigma, sigmaDown);
    } else {
      const h = Math.log(sigma) - Math.log(sigmaDown);
      const sigmaMid = Math.exp(-(-Math.log(sigma) + h / 2));
      x2.set(x);
      scaleAndAdd(x2, sigmaMid / sigma, denoised, -Math.expm1(-h / 2));
      const denoised2 = await args.denoise(x2, sigmaMid);
      scaleAndAdd(x, sigmaDown / sigma, denoised2, -Math.expm1(-h));
    }
    if (sigmas[i + 1] > 0 && sigmaUp > 0) addScaled(x, args.noise(), (args.sNoise ?? 1) * sigmaUp);
    await reportStep(args, i, denoised);
  }
  return x;
}
