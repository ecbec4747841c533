import { getAncestralStep } from "./ancestral.ts";
import { midpointStep } from "./dpm2.ts";
import { addScaled, reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/** DPM2 midpoint steps down to σ_down, then fresh noise up to σ_next (k-diffusion `sample_dpm_2_ancestral`). */
export async function sampleDpm2Ancestral(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const x = args.x.slice();
  const x2 = new Float32Array(x.length);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await args.denoise(x, sigmas[i]);
    const { sigmaDown, sigmaUp } = getAncestralStep(sigmas[i], sigmas[i + 1], args.eta ?? 1);
    await midpointStep(args, x, x2, denoised, sigmas[i], sigmaDown);
    // k-diffusion adds noise only after a midpoint step (σ_down > 0).
    if (sigmaDown > 0 && sigmaUp > 0) addScaled(x, args.noise(), (args.sNoise ?? 1) * sigmaUp);
    await reportStep(args, i, denoised);
  }
  return x;
}
