import { modelSigmas } from "../../../lib/engine/schedules/model-sigmas.ts";

/** SD 1.5's scheduler/scheduler_config.json fields (scaled_linear, √0.00085 … √0.012, 1000 steps), as the loader reads them. */
export const SD15_SCHEDULER_CONFIG = {
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: "scaled_linear",
  numTrainTimesteps: 1000,
  trainedBetas: null,
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
