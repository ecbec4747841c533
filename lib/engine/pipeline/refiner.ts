/**
 * A1111's refiner (v1.10 modules/sd_samplers_common.py `apply_refiner`, called by `CFGDenoiser.forward` before every
 * model call): once the fraction of the model's timesteps already walked reaches `refiner_switch_at`, the refiner
 * checkpoint replaces the model, the conds are built again with it (`p.setup_conds()`), and sampling goes on from
 * the same latent, sigmas and sampler state; the model-call count (prompt-editing steps) carries on too.
 *
 * The fraction is read off the noise level, not the step count (opts.refiner_switch_by_sample_steps off, its
 * default): the index t of the model's 1000 training sigmas nearest to σ, and (999 − t) / 1000 done. A switch at
 * 0.8 therefore happens on the first call at σ at or below the 200th training sigma, whatever the sampler or step
 * count. With opts.refiner_switch_by_sample_steps the fraction is the model calls made over the pass's calls
 * instead (`cfg_denoiser.step / cfg_denoiser.total_steps`). An unset `refiner_switch_at` switches on the first call.
 */
import type { DiffusionModel } from "../model/index.ts";
import type { ModelSigmas } from "../schedules/model-sigmas.ts";
import type { CfgDenoiser } from "./cfg-denoiser.ts";
import type { ImageConditioning } from "./conditioning.ts";

/** (999 − t) / 1000 for the training timestep t whose sigma is nearest to `sigma` (the first of equals, as torch.argmin). */
export function completedRatio(schedule: ModelSigmas, sigma: number): number {
  const sigmas = schedule.sigmas;
  let best = 0;
  let bestDistance = Infinity;
  for (let t = 0; t < sigmas.length; t++) {
    const distance = Math.abs(sigmas[t]! - sigma);
    if (distance < bestDistance) {
      best = t;
      bestDistance = distance;
    }
  }
  return (999 - best) / 1000;
}

/** What a pass needs to hand sampling over to the refiner. */
export interface PassRefiner {
  /** A1111 `refiner_switch_at`; null switches on the first call. */
  readonly switchAt: number | null;
  /** Count the fraction in model calls (opts.refiner_switch_by_sample_steps). */
  readonly bySteps: boolean;
  /** Switch on the first call whatever the ratio (the refiner already took over in an earlier pass). */
  readonly already: boolean;
  /** Loads the refiner and builds this pass's conds with it. */
  readonly prepare: () => Promise<{ readonly unet: DiffusionModel; readonly conditioning: ImageConditioning[] }>;
  /** Told once, when the refiner takes over. */
  readonly onSwitch: () => void;
}

/**
 * A denoiser that runs `base` until the switch point, then the one `make` builds for the refiner (the same guidance
 * settings, the refiner's UNet and conds, its model calls counted on from the base's).
 */
export function switchingDenoiser(
  base: CfgDenoiser,
  schedule: ModelSigmas,
  refiner: PassRefiner,
  make: (unet: DiffusionModel, conditioning: ImageConditioning[], firstCall: number) => CfgDenoiser,
  totalCalls: number,
): CfgDenoiser {
  let refined: CfgDenoiser | null = null;
  const denoise = async (x: Float32Array, sigma: number): Promise<Float32Array> => {
    if (refined === null) {
      const ratio = () => (refiner.bySteps ? base.calls / totalCalls : completedRatio(schedule, sigma));
      const due = refiner.already || refiner.switchAt === null || ratio() >= refiner.switchAt;
      if (due) {
        const { unet, conditioning } = await refiner.prepare();
        refined = make(unet, conditioning, base.calls);
        refiner.onSwitch();
      }
    }
    return (refined ?? base)(x, sigma);
  };
  return Object.defineProperty(denoise, "calls", { get: () => (refined ?? base).calls }) as CfgDenoiser;
}
