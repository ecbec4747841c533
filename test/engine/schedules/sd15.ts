import { modelSigmas } from "../../../lib/engine/schedules/model-sigmas.ts";

/** SD 1.5's scheduler/scheduler_config.json fields (engine-notes §2.1: scaled_linear, √0.00085 … √0.012, 1000). */
export const SD15_SCHEDULER_CONFIG = {
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  num_train_timesteps: 1000,
  trained_betas: null,
} as const;

export const SD15 = modelSigmas(SD15_SCHEDULER_CONFIG);

/** Expects each value within `tolerance` of the reference, and the same length. */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance)) {
      throw new Error(`[${i}] = ${actual[i]}, expected ${expected[i]} ± ${tolerance}`);
    }
  }
}
