/**
 * Sigma schedules, in A1111's order with its names, labels and aliases (modules/sd_schedulers.py, v1.10.1).
 */
export interface SchedulerEntry {
  readonly name: string;
  readonly label: string;
  readonly aliases: readonly string[] | null;
  /** A1111 sends -1.0 where the schedule has no rho. */
  readonly defaultRho: number;
  /** Needs the model's own discrete sigma table rather than just sigma_min/sigma_max. */
  readonly needInnerModel: boolean;
}

export const SCHEDULERS: readonly SchedulerEntry[] = [
  { name: "automatic", label: "Automatic", aliases: null, defaultRho: -1, needInnerModel: false },
  { name: "uniform", label: "Uniform", aliases: null, defaultRho: -1, needInnerModel: true },
  { name: "karras", label: "Karras", aliases: null, defaultRho: 7, needInnerModel: false },
  { name: "exponential", label: "Exponential", aliases: null, defaultRho: -1, needInnerModel: false },
  { name: "polyexponential", label: "Polyexponential", aliases: null, defaultRho: 1, needInnerModel: false },
  { name: "sgm_uniform", label: "SGM Uniform", aliases: ["SGMUniform"], defaultRho: -1, needInnerModel: true },
  { name: "kl_optimal", label: "KL Optimal", aliases: null, defaultRho: -1, needInnerModel: false },
  { name: "align_your_steps", label: "Align Your Steps", aliases: null, defaultRho: -1, needInnerModel: false },
  { name: "simple", label: "Simple", aliases: null, defaultRho: -1, needInnerModel: true },
  { name: "normal", label: "Normal", aliases: null, defaultRho: -1, needInnerModel: true },
  { name: "ddim", label: "DDIM", aliases: null, defaultRho: -1, needInnerModel: true },
  { name: "beta", label: "Beta", aliases: null, defaultRho: -1, needInnerModel: true },
];
