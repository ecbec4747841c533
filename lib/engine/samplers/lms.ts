import { reportStep } from "./step-ops.ts";
import type { SamplerArgs } from "./types.ts";

const ORDER = 4;

/**
 * k-diffusion `linear_multistep_coeff`: the integral over [σ_i, σ_{i+1}] of the Lagrange basis polynomial of
 * σ_{i−j} through σ_i … σ_{i−order+1}. k-diffusion integrates numerically (scipy quad); the integrand has degree
 * order − 1 ≤ 3, so two-point Gauss–Legendre is exact.
 */
export function lmsCoefficient(order: number, sigmas: ArrayLike<number>, i: number, j: number): number {
  const basis = (tau: number) => {
    let product = 1;
    for (let k = 0; k < order; k++) {
      if (k !== j) product *= (tau - sigmas[i - k]) / (sigmas[i - j] - sigmas[i - k]);
    }
    return product;
  };
  const half = (sigmas[i + 1] - sigmas[i]) / 2;
  const mid = (sigmas[i + 1] + sigmas[i]) / 2;
  const offset = half / Math.sqrt(3);
  return half * (basis(mid - offset) + basis(mid + offset));
}

/** Linear multistep (Adams–Bashforth in σ) over the last four slopes (k-diffusion `sample_lms`, order 4). */
export async function sampleLms(args: SamplerArgs): Promise<Float32Array> {
  const { sigmas } = args;
  const x = args.x.slice();
  const slopes: Float32Array[] = []; // oldest first, at most ORDER
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await args.denoise(x, sigmas[i]);
    const slope = slopes.length === ORDER ? (slopes.shift() as Float32Array) : new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) slope[k] = (x[k] - denoised[k]) / sigmas[i];
    slopes.push(slope);
    const order = Math.min(i + 1, ORDER);
    for (let j = 0; j < order; j++) {
      const coefficient = lmsCoefficient(order, sigmas, i, j);
      const d = slopes[slopes.length - 1 - j];
      for (let k = 0; k < x.length; k++) x[k] += coefficient * d[k];
    }
    await reportStep(args, i, denoised);
  }
  return x;
}
