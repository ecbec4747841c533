import type { NoiseScheduleConfig } from "../model/model-folder.ts";
import { linspace } from "./linspace.ts";

/**
 * A model's discrete noise schedule as a sampler sees it: the training sigma table and the maps between
 * noise levels and UNet timesteps (k-diffusion `DiscreteSchedule`, k_diffusion/external.py).
 */
export interface ModelSigmas {
  /** ᾱ for each table entry, float32 values as ldm stores them. */
  readonly alphasCumprod: Float64Array;
  /** σ = √((1 − ᾱ)/ᾱ) for each table entry, ascending, float32 values as k-diffusion stores them. */
  readonly sigmas: Float64Array;
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  /** The (fractional) UNet timestep of a noise level. */
  sigmaToT(sigma: number): number;
  /** The noise level of a (fractional) UNet timestep. */
  tToSigma(t: number): number;
}

/** ldm `register_schedule`: betas and their cumulative product in float64, then stored as float32. */
export function alphasCumprodFromConfig(config: NoiseScheduleConfig): Float64Array {
  const n = config.numTrainTimesteps;
  const betas = trainingBetas(config);
  const alphasCumprod = new Float64Array(n);
  let product = 1;
  for (let i = 0; i < n; i++) {
    product *= 1 - betas[i];
    alphasCumprod[i] = Math.fround(product);
  }
  return alphasCumprod;
}

function trainingBetas(config: NoiseScheduleConfig): ArrayLike<number> {
  if (config.trainedBetas) return config.trainedBetas;
  const n = config.numTrainTimesteps;
  switch (config.betaSchedule) {
    case "scaled_linear": // ldm "linear": linspace of the square roots, squared
      return linspace(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n).map((b) => b * b);
    case "linear":
      return linspace(config.betaStart, config.betaEnd, n);
    default:
      throw new Error(`Unsupported beta_schedule "${config.betaSchedule}" in scheduler_config.json`);
  }
}

/** k-diffusion `DiscreteEpsDDPMDenoiser`: σ = ((1 − ᾱ)/ᾱ)^½, each operation rounded to float32 as torch does. */
function sigmasFromAlphasCumprod(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => Math.fround(Math.sqrt(Math.fround(Math.fround(1 - a) / a))));
}

/** The model's schedule from its `scheduler_config.json` (SD 1.x: σmin 0.0291675, σmax 14.614642). */
export function modelSigmas(config: NoiseScheduleConfig): ModelSigmas {
  return discreteSchedule(alphasCumprodFromConfig(config));
}

/** k-diffusion `DiscreteSchedule` over a table of ᾱ whose index is the UNet timestep. */
export function discreteSchedule(alphasCumprod: Float64Array): ModelSigmas {
  const sigmas = sigmasFromAlphasCumprod(alphasCumprod);
  const logSigmas = sigmas.map((s) => Math.fround(Math.log(s)));
  return {
    alphasCumprod,
    sigmas,
    sigmaMin: sigmas[0],
    sigmaMax: sigmas[sigmas.length - 1],
    sigmaToT: (sigma) => fractionalIndex(logSigmas, sigma),
    tToSigma: (t) => sigmaAtIndex(logSigmas, t),
  };
}

/**
 * `DiscreteSchedule.sigma_to_t` (quantize off, A1111's default): the last table entry at or below σ, then linear
 * in log σ towards the next one, clamped to the table.
 */
function fractionalIndex(logSigmas: Float64Array, sigma: number): number {
  const logSigma = Math.fround(Math.log(sigma)); // float32, like the table, so table sigmas give whole timesteps
  let low = 0;
  let high = logSigmas.length - 1;
  // Binary search for the last index with logSigmas[i] <= logSigma (0 when there is none, as argmax of zeros).
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (logSigmas[mid] <= logSigma) low = mid;
    else high = mid - 1;
  }
  low = Math.min(low, logSigmas.length - 2);
  const w = (logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[low + 1]);
  const clamped = Math.min(Math.max(w, 0), 1);
  return (1 - clamped) * low + clamped * (low + 1);
}

/** `DiscreteSchedule.t_to_sigma`: log σ interpolated linearly between the neighbouring table entries. */
function sigmaAtIndex(logSigmas: Float64Array, index: number): number {
  const t = Math.min(Math.max(index, 0), logSigmas.length - 1);
  const low = Math.floor(t);
  const high = Math.ceil(t);
  const w = t - low;
  return Math.exp((1 - w) * logSigmas[low] + w * logSigmas[high]);
}
