/**
 * Every sigma schedule, one entry each, in A1111 v1.10.1's order with its names, labels and aliases
 * (modules/sd_schedulers.py), each with the function that computes it.
 */
import { sigmasAlignYourSteps } from "./align-your-steps.ts";
import { sigmasBeta } from "./beta.ts";
import { sigmasExponential, sigmasPolyexponential } from "./exponential.ts";
import { sigmasKarras } from "./karras.ts";
import { sigmasKlOptimal } from "./kl-optimal.ts";
import type { ModelSigmas } from "./model-sigmas.ts";
import { sigmasDdim, sigmasSimple } from "./simple.ts";
import { sigmasNormal, sigmasSgmUniform, sigmasUniform } from "./uniform.ts";

export interface ScheduleParams {
  readonly model: ModelSigmas;
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  /** Left undefined, each schedule uses its own default (Karras 7, Polyexponential 1). */
  readonly rho?: number;
  /** Beta scheduler shape (A1111 opts.beta_dist_alpha / beta_dist_beta). */
  readonly betaAlpha: number;
  readonly betaBeta: number;
}

/** n steps' worth of noise levels, highest first (n + 1 values, ending in 0 except KL Optimal). */
export type ScheduleFunction = (n: number, params: ScheduleParams) => Float64Array;

export interface SchedulerDefinition {
  readonly name: string;
  readonly label: string;
  readonly aliases: readonly string[] | null;
  /** A1111 sends -1.0 where the schedule has no rho. */
  readonly defaultRho: number;
  /** Needs the model's own discrete sigma table rather than just sigma_min/sigma_max. */
  readonly needInnerModel: boolean;
  /** null for "automatic", which stands for the sampler's default schedule. */
  readonly sigmas: ScheduleFunction | null;
}

const s = (
  name: string,
  label: string,
  sigmas: ScheduleFunction | null,
  extra: Partial<Pick<SchedulerDefinition, "aliases" | "defaultRho" | "needInnerModel">> = {},
): SchedulerDefinition => ({ name, label, aliases: null, defaultRho: -1, needInnerModel: false, sigmas, ...extra });

export const SCHEDULERS: readonly SchedulerDefinition[] = [
  s("automatic", "Automatic", null),
  s("uniform", "Uniform", (n, { model }) => sigmasUniform(n, model), { needInnerModel: true }),
  s("karras", "Karras", (n, p) => sigmasKarras(n, p.sigmaMin, p.sigmaMax, p.rho), { defaultRho: 7 }),
  s("exponential", "Exponential", (n, p) => sigmasExponential(n, p.sigmaMin, p.sigmaMax)),
  s("polyexponential", "Polyexponential", (n, p) => sigmasPolyexponential(n, p.sigmaMin, p.sigmaMax, p.rho), { defaultRho: 1 }),
  s("sgm_uniform", "SGM Uniform", (n, p) => sigmasSgmUniform(n, p.model, p.sigmaMin, p.sigmaMax), {
    aliases: ["SGMUniform"],
    needInnerModel: true,
  }),
  s("kl_optimal", "KL Optimal", (n, p) => sigmasKlOptimal(n, p.sigmaMin, p.sigmaMax)),
  s("align_your_steps", "Align Your Steps", (n) => sigmasAlignYourSteps(n)),
  s("simple", "Simple", (n, { model }) => sigmasSimple(n, model), { needInnerModel: true }),
  s("normal", "Normal", (n, p) => sigmasNormal(n, p.model, p.sigmaMin, p.sigmaMax), { needInnerModel: true }),
  s("ddim", "DDIM", (n, { model }) => sigmasDdim(n, model), { needInnerModel: true }),
  s("beta", "Beta", (n, p) => sigmasBeta(n, p.sigmaMin, p.sigmaMax, p.betaAlpha, p.betaBeta), { needInnerModel: true }),
];

export const AUTOMATIC: SchedulerDefinition = SCHEDULERS[0]!;

const byName = new Map(
  SCHEDULERS.flatMap((d) => [d.name, d.label, ...(d.aliases ?? [])].map((n) => [n.trim().toLowerCase(), d] as const)),
);

/** The schedule with this name, label or alias, ignoring case; null, "" and absence mean Automatic. */
export function findScheduler(name: string | null | undefined): SchedulerDefinition | undefined {
  if (name === null || name === undefined || name.trim() === "") return AUTOMATIC;
  return byName.get(name.trim().toLowerCase());
}

/** Every name, label and alias, lower-cased (for parsing "Euler a Karras"-style combined names). */
export const schedulerNameKeys = (): string[] => [...byName.keys()];
