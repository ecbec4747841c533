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

/**
 * The noise levels A1111's UniPC visits (`UniPC.get_time_steps`, skip_type "time_uniform"): `steps + 1` model
 * timesteps evenly spaced from `tStart` down to 0, through `schedule` (the ᾱ-interpolating one, `vpModelSigmas`).
 * It ends at t = 0, σmin, without a final denoise (A1111 leaves `denoise_to_zero` off).
 */
export function uniPcSigmas(tStart: number, steps: number, schedule: ModelSigmas): Float64Array {
  return linspace(tStart, 0, steps + 1).map(schedule.tToSigma);
}
