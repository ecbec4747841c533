import { getAncestralStep } from "./ancestral.ts";
import { eulerStep, reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/**
 * DPM-Solver++ (stochastic), k-diffusion `sample_dpmpp_sde` with r = ½: a noisy half step to σ_s = √(σ·σ_next),
 * then a noisy full step using both denoised estimates. The last step (to σ = 0) is Euler.
 *
 * A1111 draws this noise from a Brownian tree seeded per image (`BrownianTreeNoiseSampler`); Serena draws it from
 * `noise()`, so images differ from A1111's for the same seed while following the same distribution. Both of a
 * step's draws are increments of one Brownian path over [σ_s, σ] and [σ_next, σ], which overlap: the second is
 * built as ρ·n₁ + √(1−ρ²)·n₂ with ρ = √((σ − σ_s)/(σ − σ_next)), the correlation the tree gives them.
 */
export async function sampleDpmppSde(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const eta = args.eta ?? 1;
  const sNoise = args.sNoise ?? 1;
  const x = args.x.slice();
  const x2 = new Float32Array(x.length);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigma = sigmas[i];
    const sigmaNext = sigmas[i + 1];
    const denoised = await args.denoise(x, sigma);
    if (sigmaNext === 0) {
      eulerStep(x, denoised, sigma, sigmaNext);
    } else {
      const sigmaMid = Math.sqrt(sigma * sigmaNext); // σ at s = t + h/2, t = −log σ
      const noisy = eta !== 0;
      const noise1 = noisy ? args.noise() : undefined;
      const step1 = getAncestralStep(sigma, sigmaMid, eta);
      const a1 = step1.sigmaDown / sigma;
      const b1 = -Math.expm1(Math.log(step1.sigmaDown) - Math.log(sigma));
      const n1 = sNoise * step1.sigmaUp;
      for (let k = 0; k < x.length; k++) x2[k] = a1 * x[k] + b1 * denoised[k] + (noise1 ? n1 * noise1[k] : 0);
      const denoised2 = await args.denoise(x2, sigmaMid);

      const step2 = getAncestralStep(sigma, sigmaNext, eta);
      const a2 = step2.sigmaDown / sigma;
      const b2 = -Math.expm1(Math.log(step2.sigmaDown) - Math.log(sigma));
      // (1 − 1/(2r))·D + 1/(2r)·D₂ with r = ½ is D₂ alone.
      for (let k = 0; k < x.length; k++) x[k] = a2 * x[k] + b2 * denoised2[k];
      if (noise1) {
        const noise2 = args.noise();
        const rho = Math.sqrt((sigma - sigmaMid) / (sigma - sigmaNext));
        const n2 = sNoise * step2.sigmaUp;
        const own = n2 * Math.sqrt(1 - rho * rho);
        for (let k = 0; k < x.length; k++) x[k] += n2 * rho * noise1[k] + own * noise2[k];
      }
    }
    await reportStep(args, i, denoised);
  }
  return x;
}
