import type { SamplerArgs } from "./types.ts";

/**
 * The in-place arithmetic the samplers share. Each is one loop over the flattened batch with its coefficients
 * worked out beforehand in float64.
 */

/** Euler step along the probability-flow ODE: x += d·(σ_next − σ), d = (x − D)/σ (k-diffusion `to_d`). */
export function eulerStep(x: Float32Array, denoised: Float32Array, sigma: number, sigmaNext: number): void {
  const ratio = (sigmaNext - sigma) / sigma;
  for (let k = 0; k < x.length; k++) x[k] += (x[k] - denoised[k]) * ratio;
}

/** x = a·x + b·D: the exponential-integrator update of the DPM-Solver++ family. */
export function scaleAndAdd(x: Float32Array, a: number, denoised: Float32Array, b: number): void {
  for (let k = 0; k < x.length; k++) x[k] = a * x[k] + b * denoised[k];
}

/** x += scale·noise. */
export function addScaled(x: Float32Array, noise: Float32Array, scale: number): void {
  for (let k = 0; k < x.length; k++) x[k] += scale * noise[k];
}

/** Awaits the caller's `onStep` for step i of the walk over `args.sigmas`. */
export async function reportStep(args: SamplerArgs, i: number, denoised: Float32Array): Promise<void> {
  await args.onStep?.({ i, total: args.sigmas.length - 1, sigma: args.sigmas[i], denoised });
}

/**
 * Karras et al. (2022) Algorithm 2 "churn" for Euler, Heun and DPM2: raise σ to σ̂ = σ(1 + γ) by adding noise.
 * Returns σ̂ (σ itself when churn is off). While churn is on, noise is drawn every step, as k-diffusion draws it,
 * so the per-image streams advance as in A1111 even on steps outside [sTmin, sTmax].
 */
export function churn(x: Float32Array, args: SamplerArgs, i: number): number {
  const sigma = args.sigmas[i];
  const sChurn = args.sChurn ?? 0;
  if (sChurn <= 0) return sigma;
  const inRange = (args.sTmin ?? 0) <= sigma && sigma <= (args.sTmax ?? Infinity);
  const gamma = inRange ? Math.min(sChurn / (args.sigmas.length - 1), Math.SQRT2 - 1) : 0;
  const noise = args.noise();
  const sigmaHat = sigma * (gamma + 1);
  if (gamma > 0) addScaled(x, noise, (args.sNoise ?? 1) * Math.sqrt(sigmaHat * sigmaHat - sigma * sigma));
  return sigmaHat;
}
