import { getAncestralStep } from "./ancestral.ts";
import { addScaled, eulerStep, reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/** Euler down to σ_down, then fresh noise up to σ_next (k-diffusion `sample_euler_ancestral`). */
export async function sampleEulerAncestral(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const x = args.x.slice();
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await args.denoise(x, sigmas[i]);
    const { sigmaDown, sigmaUp } = getAncestralStep(sigmas[i], sigmas[i + 1], args.eta ?? 1);
    eulerStep(x, denoised, sigmas[i], sigmaDown);
    if (sigmas[i + 1] > 0 && sigmaUp > 0) addScaled(x, args.noise(), (args.sNoise ?? 1) * sigmaUp);
    await reportStep(args, i, denoised);
  }
  return x;
}
