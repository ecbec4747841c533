import { addScaled, reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/**
 * Latent Consistency Model sampling (A1111 modules/sd_samplers_lcm.py `sample_lcm`): jump to the denoised
 * estimate, then re-noise it to the next σ. `denoise` must include LCM's boundary scalings
 * (`lcmBoundaryScalings`) and sigmas come from the LCM schedule (`lcmModelSigmas`).
 */
export async function sampleLcm(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const x = args.x.slice();
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await args.denoise(x, sigmas[i]);
    x.set(denoised);
    if (sigmas[i + 1] > 0) addScaled(x, args.noise(), sigmas[i + 1]);
    await reportStep(args, i, denoised);
  }
  return x;
}
