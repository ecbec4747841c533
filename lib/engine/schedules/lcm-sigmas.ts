import { discreteSchedule, type ModelSigmas } from "./model-sigmas.ts";

/**
 * The schedule A1111's LCM sampler samples on (`LCMCompVisDenoiser`, modules/sd_samplers_lcm.py): only the
 * `originalSteps` timesteps LCM was distilled on (19, 39, …, 999 for 1000 training steps), timesteps snapped to
 * the nearest of them. Its σmin/σmax are those of t = 19 and t = 999, which Karras and the other schedules use.
 */
export function lcmModelSigmas(model: ModelSigmas, originalSteps = 50): ModelSigmas {
  const trainSteps = model.alphasCumprod.length;
  const skip = Math.floor(trainSteps / originalSteps);
  const alphasCumprod = new Float64Array(originalSteps);
  for (let x = 0; x < originalSteps; x++) {
    alphasCumprod[originalSteps - 1 - x] = model.alphasCumprod[trainSteps - 1 - x * skip];
  }
  const table = discreteSchedule(alphasCumprod);
  return {
    ...table,
    // The nearest entry in log σ (argmin, ties to the lower one) is the fractional index rounded half down.
    sigmaToT: (sigma) => Math.ceil(table.sigmaToT(sigma) - 0.5) * skip + (skip - 1),
    tToSigma: (t) => table.tToSigma((t - (skip - 1)) / skip),
  };
}

/**
 * LCM's consistency boundary condition (`LCMCompVisDenoiser.get_scaled_out`): the denoised latent is
 * `cOut · D + cSkip · x`, with D the usual eps-denoiser output, x the sampler's latent and t the snapped timestep.
 */
export function lcmBoundaryScalings(t: number): { cSkip: number; cOut: number } {
  const sigmaData = 0.5;
  const scaled = t * 10;
  const denominator = scaled * scaled + sigmaData * sigmaData;
  return { cSkip: (sigmaData * sigmaData) / denominator, cOut: scaled / Math.sqrt(denominator) };
}
