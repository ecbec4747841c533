import { reportStep, scaleAndAdd } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/**
 * DPM-Solver++(2M) (k-diffusion `sample_dpmpp_2m`): exponential integrator in t = −log σ, second order from the
 * previous denoised estimate. First order on the first step and on the last one (to σ = 0, where it returns D).
 */
export async function sampleDpmpp2m(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const x = args.x.slice();
  let oldDenoised: Float32Array | undefined;
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await args.denoise(x, sigmas[i]);
    const t = -Math.log(sigmas[i]);
    const h = -Math.log(sigmas[i + 1]) - t;
    const a = sigmas[i + 1] / sigmas[i];
    const b = -Math.expm1(-h);
    if (oldDenoised === undefined || sigmas[i + 1] === 0) {
      scaleAndAdd(x, a, denoised, b);
    } else {
      const r = (t + Math.log(sigmas[i - 1])) / h;
      const wNew = b * (1 + 1 / (2 * r));
      const wOld = b * (1 / (2 * r));
      for (let k = 0; k < x.length; k++) x[k] = a * x[k] + wNew * denoised[k] - wOld * oldDenoised[k];
    }
    oldDenoised = denoised;
    await reportStep(args, i, denoised);
  }
  return x;
}
