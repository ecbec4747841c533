import { appendZero, linspace } from "./linspace.ts";
import type { ModelSigmas } from "./model-sigmas.ts";

/**
 * A1111 "Normal" (modules/sd_schedulers.py `normal_scheduler`): timesteps evenly spaced from t(σmax) to t(σmin),
 * mapped back to noise levels through the model's table.
 */
export function sigmasNormal(n: number, model: ModelSigmas, sigmaMin: number, sigmaMax: number): Float64Array {
  return appendZero(linspace(model.sigmaToT(sigmaMax), model.sigmaToT(sigmaMin), n).map(model.tToSigma));
}

/**
 * A1111 "Uniform" and the "Automatic" fallback: the model's own `get_sigmas(n)` (k-diffusion
 * `DiscreteSchedule.get_sigmas`), i.e. `linspace(t_max, 0, n)` over the whole table.
 */
export function sigmasUniform(n: number, model: ModelSigmas): Float64Array {
  return sigmasNormal(n, model, model.sigmaMin, model.sigmaMax);
}

/** A1111 "SGM Uniform" (`sgm_uniform`): as Normal but n+1 timesteps with the last (t(σmin)) dropped. */
export function sigmasSgmUniform(n: number, model: ModelSigmas, sigmaMin: number, sigmaMax: number): Float64Array {
  const t = linspace(model.sigmaToT(sigmaMax), model.sigmaToT(sigmaMin), n + 1).subarray(0, n);
  return appendZero(t.map(model.tToSigma));
}
