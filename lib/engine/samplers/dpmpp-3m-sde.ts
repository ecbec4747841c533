import { addScaled, reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

/**
 * DPM-Solver++(3M) SDE (k-diffusion `sample_dpmpp_3m_sde`): third order from the two previous denoised estimates.
 * The last step (to σ = 0) returns D. Noise: `noise()` in place of A1111's Brownian tree, one independent
 * increment per step as in `sampleDpmpp2mSde`.
 */
export async function sampleDpmpp3mSde(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const eta = args.eta ?? 1;
  const x = args.x.slice();
  let denoised1: Float32Array | undefined;
  let denoised2: Float32Array | undefined;
  let h1 = 0;
  let h2 = 0;
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigma = sigmas[i];
    const sigmaNext = sigmas[i + 1];
    const denoised = await args.denoise(x, sigma);
    if (sigmaNext === 0) {
      x.set(denoised);
    } else {
      const h = Math.log(sigma) - Math.log(sigmaNext);
      const hEta = h * (eta + 1);
      const a = Math.exp(-hEta);
      const b = -Math.expm1(-hEta);
      const phi2 = Math.expm1(-hEta) / hEta + 1;
      // x = a·x + b·D + w0·D + w1·D₁ + w2·D₂, the history terms written out per estimate.
      let w0 = 0;
      let w1 = 0;
      let w2 = 0;
      if (denoised2 !== undefined) {
        const r0 = h1 / h;
        const r1 = h2 / h;
        const phi3 = phi2 / hEta - 0.5;
        // d1_0 = (D − D₁)/r0, d1_1 = (D₁ − D₂)/r1; x += φ2·(d1_0 + (d1_0 − d1_1)·r0/(r0+r1)) − φ3·(d1_0 − d1_1)/(r0+r1)
        const onD10 = phi2 * (1 + r0 / (r0 + r1)) - phi3 / (r0 + r1);
        const onD11 = -phi2 * (r0 / (r0 + r1)) + phi3 / (r0 + r1);
        w0 = onD10 / r0;
        w1 = -onD10 / r0 + onD11 / r1;
        w2 = -onD11 / r1;
      } else if (denoised1 !== undefined) {
        w0 = phi2 / (h1 / h);
        w1 = -w0;
      }
      const d1 = denoised1 ?? denoised;
      const d2 = denoised2 ?? denoised;
      for (let k = 0; k < x.length; k++) {
        x[k] = a * x[k] + (b + w0) * denoised[k] + w1 * d1[k] + w2 * d2[k];
      }
      if (eta) addScaled(x, args.noise(), sigmaNext * Math.sqrt(-Math.expm1(-2 * h * eta)) * (args.sNoise ?? 1));
      h2 = h1;
      h1 = h;
    }
    denoised2 = denoised1;
    denoised1 = denoised;
    await reportStep(args, i, denoised);
  }
  return x;
}
