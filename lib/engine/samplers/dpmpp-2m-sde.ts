import { addScaled, reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

export interface Dpmpp2mSdeArgs extends SamplerArgs {
  /** How the second-order correction is taken: "midpoint" (DPM++ 2M SDE) or "heun" (DPM++ 2M SDE Heun). */
  readonly solverType?: "midpoint" | "heun";
}

/**
 * DPM-Solver++(2M) SDE (k-diffusion `sample_dpmpp_2m_sde`). The last step (to σ = 0) returns D.
 * A1111 draws the noise from a Brownian tree (`brownian_noise`); Serena from `noise()`. Each step uses one
 * increment over its own interval [σ_next, σ], and increments of disjoint intervals are independent, so the
 * distribution is the same and only the values for a given seed differ.
 */
export async function sampleDpmpp2mSde(args: Dpmpp2mSdeArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const eta = args.eta ?? 1;
  const x = args.x.slice();
  let oldDenoised: Float32Array | undefined;
  let hLast = 0;
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigma = sigmas[i];
    const sigmaNext = sigmas[i + 1];
    const denoised = await args.denoise(x, sigma);
    if (sigmaNext === 0) {
      x.set(denoised);
    } else {
      const h = Math.log(sigma) - Math.log(sigmaNext);
      const etaH = eta * h;
      const a = (sigmaNext / sigma) * Math.exp(-etaH);
      const b = -Math.expm1(-h - etaH);
      // Weight of (D − D_old) from the previous step's estimate, r = h_last/h.
      let c = 0;
      if (oldDenoised !== undefined) {
        const r = hLast / h;
        c = args.solverType === "heun" ? (b / (-h - etaH) + 1) / r : (0.5 * b) / r;
      }
      const old = oldDenoised ?? denoised;
      for (let k = 0; k < x.length; k++) x[k] = a * x[k] + b * denoised[k] + c * (denoised[k] - old[k]);
      if (eta) addScaled(x, args.noise(), sigmaNext * Math.sqrt(-Math.expm1(-2 * etaH)) * (args.sNoise ?? 1));
      hLast = h;
    }
    oldDenoised = denoised;
    await reportStep(args, i, denoised);
  }
  return x;
}
