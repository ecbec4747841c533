import { linspace } from "./linspace.ts";
import type { ModelSigmas } from "./model-sigmas.ts";

/**
 * The UNet timesteps of A1111's timestep samplers, ascending (modules/sd_samplers_timesteps.py `get_timesteps`):
 * `clip(arange(0, 1000, 1000 // steps) + 1, 0, 999)`; 20 steps give 1, 51, …, 951. When 1000 % steps is not 0
 * there are more than `steps` of them (30 steps give 31), as in A1111.
 */
export function ddimTimesteps(steps: number, trainSteps = 1000): Int32Array {
  const stride = Math.max(Math.floor(trainSteps / steps), 1);
  const timesteps: number[] = [];
  for (let t = 0; t < trainSteps; t += stride) timesteps.push(Math.min(t + 1, trainSteps - 1));
  return Int32Array.from(timesteps);
}

/**
 * The noise levels A1111's DDIM visits, highest first: the table sigmas of the given (ascending) timesteps.
 * DDIM runs one step between each neighbouring pair, so it evaluates the UNet one time fewer than there are
 * timesteps, and ends at the lowest timestep (t = 1) without a final denoise (sd_samplers_timesteps_impl.py `ddim`).
 */
export function ddimSigmas(timesteps: Int32Array, model: ModelSigmas): Float64Array {
  const sigmas = new Float64Array(timesteps.length);
  for (let i = 0; i < timesteps.length; i++) sigmas[i] = model.sigmas[timesteps[timesteps.length - 1 - i]];
  return sigmas;
}

/** A1111 opts.uni_pc_skip_type: how UniPC spaces its steps (uni_pc.py `UniPC.get_time_steps`). */
export type UniPcSkipType = "time_uniform" | "time_quadratic" | "logSNR";

/**
 * The noise levels A1111's UniPC visits (`UniPC.get_time_steps`): `steps + 1` levels from model timestep `tStart`
 * down to 0, through `schedule` (the ᾱ-interpolating one, `vpModelSigmas`). uni_pc works in continuous time
 * t = (τ + 1)/N for model timestep τ and N table entries (`NoiseScheduleVP('discrete')`: `t_array` = (i + 1)/N), from
 * t_T = 1 (τ = N − 1) for txt2img, or `timesteps[-1]/1000 + 1/1000` (τ = the top walked timestep) for img2img
 * (sd_samplers_timesteps_impl.py `unipc`), down to t_0 = 1/N (τ = 0):
 * - "time_uniform": t evenly spaced, so τ evenly spaced from `tStart` to 0;
 * - "time_quadratic": √t evenly spaced, t = its square;
 * - "logSNR": λ = log α − log σ_VP = −log σ evenly spaced between the ends' λ (`inverse_lambda` maps λ back to t,
 *   which `vpModelSigmas().sigmaToT` does here when the UNet timestep is needed).
 * It ends at t = 0, σmin, without a final denoise (A1111 leaves `denoise_to_zero` off).
 */
export function uniPcSigmas(
  tStart: number,
  steps: number,
  schedule: ModelSigmas,
  skipType: UniPcSkipType = "time_uniform",
): Float64Array {
  switch (skipType) {
    case "time_quadratic": {
      const n = schedule.alphasCumprod.length;
      const roots = linspace(Math.sqrt((tStart + 1) / n), Math.sqrt(1 / n), steps + 1);
      return roots.map((root) => schedule.tToSigma(root * root * n - 1));
    }
    case "logSNR": {
      const lambdas = linspace(-Math.log(schedule.tToSigma(tStart)), -Math.log(schedule.tToSigma(0)), steps + 1);
      return lambdas.map((lambda) => Math.exp(-lambda));
    }
    default:
      return linspace(tStart, 0, steps + 1).map(schedule.tToSigma);
  }
}
