/**
 * Every sampler Serena runs, one entry each, in A1111 v1.10.1's order with its names, aliases and options
 * (modules/sd_samplers_kdiffusion.py `samplers_k_diffusion`, modules/sd_samplers_timesteps.py, modules/sd_samplers_lcm.py).
 * An entry carries the function, the settings the sampler reads (A1111's `sampler_extra_params` and the `eta`
 * signature check in `Sampler.initialize`) and its special rules, so nothing outside this file compares sampler names.
 */
import { lcmBoundaryScalings, lcmModelSigmas } from "../schedules/lcm-sigmas.ts";
import type { ModelSigmas } from "../schedules/model-sigmas.ts";
import { ddimSigmas, uniPcSigmas, type UniPcSkipType } from "../schedules/timesteps.ts";
import { vpModelSigmas } from "../schedules/vp-sigmas.ts";
import { sampleDdim } from "./ddim.ts";
import { sampleDpm2Ancestral } from "./dpm2-ancestral.ts";
import { sampleDpm2 } from "./dpm2.ts";
import { sampleDpmpp2mSde } from "./dpmpp-2m-sde.ts";
import { sampleDpmpp2m } from "./dpmpp-2m.ts";
import { sampleDpmpp2sAncestral } from "./dpmpp-2s-ancestral.ts";
import { sampleDpmpp3mSde } from "./dpmpp-3m-sde.ts";
import { sampleDpmppSde } from "./dpmpp-sde.ts";
import { sampleEulerAncestral } from "./euler-ancestral.ts";
import { sampleEuler } from "./euler.ts";
import { sampleHeun } from "./heun.ts";
import { sampleLcm } from "./lcm.ts";
import { sampleLms } from "./lms.ts";
import type { SamplerArgs } from "./types.ts";
import { sampleUniPc, type UniPcArgs } from "./unipc.ts";

/** A sampler setting a request can carry; each sampler lists the ones it reads. */
export type SamplerSetting = "eta" | "s_churn" | "s_tmin" | "s_tmax" | "s_noise" | "uni_pc";

/** Settings passed to every sampler run (each reads only what its entry lists). */
export interface SamplerSettings {
  readonly eta: number;
  readonly sChurn: number;
  readonly sTmin: number;
  /** Infinity when unset (A1111: 0 means no upper bound). */
  readonly sTmax: number;
  readonly sNoise: number;
  readonly uniPc: {
    readonly variant: NonNullable<UniPcArgs["variant"]>;
    readonly order: number;
    readonly lowerOrderFinal: boolean;
    readonly skipType: UniPcSkipType;
  };
}


/** The arguments of one run: the k-diffusion-style arguments plus every setting. */
export interface SamplerRunArgs extends Omit<SamplerArgs, "eta" | "sChurn" | "sTmin" | "sTmax" | "sNoise"> {
  readonly settings: SamplerSettings;
}

export type Denoiser = (x: Float32Array, sigma: number) => Promise<Float32Array>;

export interface SamplerDefinition {
  /** A1111 label, e.g. "DPM++ 2M". */
  readonly name: string;
  readonly aliases: readonly string[];
  /** "k-diffusion" samplers start from σ-scaled noise; "timesteps" samplers (DDIM, UniPC) walk A1111's CompVis timesteps. */
  readonly family: "k-diffusion" | "timesteps";
  /** Scheduler used when the request says "Automatic" (A1111 `options.scheduler`). */
  readonly defaultScheduler?: "karras" | "exponential";
  /** Calls the model twice per step: prompt-editing schedules count steps twice (A1111 `second_order`). */
  readonly secondOrder: boolean;
  /** Sigmas are made for steps + 1 and the penultimate one dropped (A1111 `discard_next_to_last_sigma`). */
  readonly discardPenultimateSigma: boolean;
  /** A1111 `uses_ensd`: ENSD is written to the infotext for it (when eta ≠ 0). */
  readonly usesEnsd: boolean;
  /** A1111 draws this sampler's noise from a Brownian tree (`brownian_noise`); Serena uses the image's RNG stream. */
  readonly brownianNoise: boolean;
  readonly solverType?: "heun";
  /**
   * Where eta comes from when the request has none, and its infotext key: k-diffusion samplers that take eta read
   * opts.eta_ancestral (infotext "Eta", default 1); DDIM reads opts.eta_ddim ("Eta DDIM", default 0). null: no eta.
   */
  readonly eta: { readonly option: "eta_ancestral" | "eta_ddim"; readonly infotext: string; readonly default: number } | null;
  /** The settings this sampler reads; setting any other one has no effect on it. */
  readonly reads: readonly SamplerSetting[];
  /** Draws fresh noise while sampling (so the seed stream past the first draw, and ENSD, matter). */
  readonly drawsNoise: boolean;
  readonly run: (args: SamplerRunArgs) => Promise<Float32Array>;
  /** The noise schedule its denoiser works on, when it is not the model's own (LCM's table, UniPC's ᾱ interpolation). */
  readonly modelSigmas?: (model: ModelSigmas) => ModelSigmas;
  /** A correction applied to every denoised estimate (LCM's consistency boundary condition). */
  readonly wrapDenoiser?: (denoise: Denoiser, schedule: ModelSigmas) => Denoiser;
  /**
   * Timestep samplers: the noise levels walked over A1111's timesteps (ascending), starting at UNet timestep
   * `tStart` (the top of the table for txt2img, the last walked timestep for img2img), through `schedule`.
   */
  readonly timestepSigmas?: (timesteps: Int32Array, tStart: number, schedule: ModelSigmas, settings?: SamplerSettings) => Float64Array;
}

const ETA_ANCESTRAL = { option: "eta_ancestral", infotext: "Eta", default: 1 } as const;
const ETA_DDIM = { option: "eta_ddim", infotext: "Eta DDIM", default: 0 } as const;
const CHURN: readonly SamplerSetting[] = ["s_churn", "s_tmin", "s_tmax", "s_noise"];

/** k-diffusion's keyword arguments from the settings (A1111 `Sampler.initialize`). */
const kArgs = ({ settings, ...args }: SamplerRunArgs): SamplerArgs => ({
  ...args,
  eta: settings.eta,
  sChurn: settings.sChurn,
  sTmin: settings.sTmin,
  sTmax: settings.sTmax,
  sNoise: settings.sNoise,
});

type Entry = Omit<SamplerDefinition, "secondOrder" | "discardPenultimateSigma" | "usesEnsd" | "brownianNoise" | "eta" | "reads" | "drawsNoise" | "family">;

const k = (entry: Entry & Partial<SamplerDefinition>): SamplerDefinition => ({
  family: "k-diffusion",
  secondOrder: false,
  discardPenultimateSigma: false,
  usesEnsd: false,
  brownianNoise: false,
  eta: null,
  reads: [],
  drawsNoise: false,
  ...entry,
});

/** LCM's boundary condition (A1111 `LCMCompVisDenoiser.get_scaled_out`) applied after guidance: guidance is linear in D. */
function lcmBoundary(denoise: Denoiser, schedule: ModelSigmas): Denoiser {
  return async (x, sigma) => {
    const d = await denoise(x, sigma);
    const { cSkip, cOut } = lcmBoundaryScalings(schedule.sigmaToT(sigma));
    for (let i = 0; i < d.length; i++) d[i] = cOut * d[i]! + cSkip * x[i]!;
    return d;
  };
}

export const SAMPLERS: readonly SamplerDefinition[] = [
  k({ name: "DPM++ 2M", aliases: ["k_dpmpp_2m"], defaultScheduler: "karras", run: (a) => sampleDpmpp2m(kArgs(a)) }),
  k({
    name: "DPM++ SDE",
    aliases: ["k_dpmpp_sde"],
    defaultScheduler: "karras",
    secondOrder: true,
    brownianNoise: true,
    eta: ETA_ANCESTRAL,
    reads: ["eta", "s_noise"],
    drawsNoise: true,
    run: (a) => sampleDpmppSde(kArgs(a)),
  }),
  k({
    name: "DPM++ 2M SDE",
    aliases: ["k_dpmpp_2m_sde"],
    defaultScheduler: "exponential",
    brownianNoise: true,
    eta: ETA_ANCESTRAL,
    reads: ["eta", "s_noise"],
    drawsNoise: true,
    run: (a) => sampleDpmpp2mSde({ ...kArgs(a), solverType: "midpoint" }),
  }),
  k({
    name: "DPM++ 2M SDE Heun",
    aliases: ["k_dpmpp_2m_sde_heun"],
    defaultScheduler: "exponential",
    brownianNoise: true,
    solverType: "heun",
    eta: ETA_ANCESTRAL,
    reads: ["eta", "s_noise"],
    drawsNoise: true,
    run: (a) => sampleDpmpp2mSde({ ...kArgs(a), solverType: "heun" }),
  }),
  k({
    name: "DPM++ 2S a",
    aliases: ["k_dpmpp_2s_a"],
    defaultScheduler: "karras",
    usesEnsd: true,
    secondOrder: true,
    eta: ETA_ANCESTRAL,
    reads: ["eta", "s_noise"],
    drawsNoise: true,
    run: (a) => sampleDpmpp2sAncestral(kArgs(a)),
  }),
  k({
    name: "DPM++ 3M SDE",
    aliases: ["k_dpmpp_3m_sde"],
    defaultScheduler: "exponential",
    discardPenultimateSigma: true,
    brownianNoise: true,
    eta: ETA_ANCESTRAL,
    reads: ["eta", "s_noise"],
    drawsNoise: true,
    run: (a) => sampleDpmpp3mSde(kArgs(a)),
  }),
  // `sample_euler_ancestral` is not in A1111's `sampler_extra_params`, so it runs with k-diffusion's s_noise of 1.
  k({
    name: "Euler a",
    aliases: ["k_euler_a", "k_euler_ancestral"],
    usesEnsd: true,
    eta: ETA_ANCESTRAL,
    reads: ["eta"],
    drawsNoise: true,
    run: (a) => sampleEulerAncestral({ ...kArgs(a), sNoise: 1 }),
  }),
  k({ name: "Euler", aliases: ["k_euler"], reads: CHURN, run: (a) => sampleEuler(kArgs(a)) }),
  k({ name: "LMS", aliases: ["k_lms"], run: (a) => sampleLms(kArgs(a)) }),
  k({ name: "Heun", aliases: ["k_heun"], secondOrder: true, reads: CHURN, run: (a) => sampleHeun(kArgs(a)) }),
  k({
    name: "DPM2",
    aliases: ["k_dpm_2"],
    defaultScheduler: "karras",
    discardPenultimateSigma: true,
    secondOrder: true,
    reads: CHURN,
    run: (a) => sampleDpm2(kArgs(a)),
  }),
  k({
    name: "DPM2 a",
    aliases: ["k_dpm_2_a"],
    defaultScheduler: "karras",
    discardPenultimateSigma: true,
    usesEnsd: true,
    secondOrder: true,
    eta: ETA_ANCESTRAL,
    reads: ["eta", "s_noise"],
    drawsNoise: true,
    run: (a) => sampleDpm2Ancestral(kArgs(a)),
  }),
  k({
    name: "DDIM",
    aliases: ["ddim"],
    family: "timesteps",
    eta: ETA_DDIM,
    reads: ["eta"],
    drawsNoise: true,
    run: (a) => sampleDdim(kArgs(a)),
    // DDIM runs one step between neighbouring timesteps and ends at the lowest one (sd_samplers_timesteps_impl.py `ddim`).
    timestepSigmas: (timesteps, _tStart, schedule) => ddimSigmas(timesteps, schedule),
  }),
  k({
    name: "UniPC",
    aliases: ["unipc"],
    family: "timesteps",
    reads: ["uni_pc"],
    modelSigmas: vpModelSigmas,
    timestepSigmas: (timesteps, tStart, schedule, settings) => uniPcSigmas(tStart, timesteps.length, schedule, settings?.uniPc.skipType),
    run: ({ settings, ...a }) =>
      sampleUniPc({ ...a, variant: settings.uniPc.variant, order: settings.uniPc.order, lowerOrderFinal: settings.uniPc.lowerOrderFinal }),
  }),
  k({
    name: "LCM",
    aliases: ["k_lcm"],
    drawsNoise: true,
    modelSigmas: (model) => lcmModelSigmas(model),
    wrapDenoiser: lcmBoundary,
    run: (a) => sampleLcm(kArgs(a)),
  }),
];

const byName = new Map(SAMPLERS.flatMap((s) => [s.name, ...s.aliases].map((n) => [n.trim().toLowerCase(), s] as const)));

/** The sampler with this label or alias, ignoring case. */
export function findSampler(name: string): SamplerDefinition | undefined {
  return byName.get(name.trim().toLowerCase());
}

/** The registry entry for a name the caller already resolved; an unknown one is a programming error. */
export function samplerNamed(name: string): SamplerDefinition {
  const sampler = findSampler(name);
  if (!sampler) throw new Error(`unknown sampler ${name}`);
  return sampler;
}

/**
 * Steps as A1111 counts them for prompt-editing schedules and progress (`SamplerData.total_steps`): doubled for
 * samplers that call the model twice per step.
 */
export function totalSteps(sampler: SamplerDefinition, steps: number): number {
  return sampler.secondOrder ? steps * 2 : steps;
}

/** The schedule the sampler's denoiser works on. */
export function samplerModelSigmas(sampler: SamplerDefinition, model: ModelSigmas): ModelSigmas {
  return sampler.modelSigmas ? sampler.modelSigmas(model) : model;
}

/** A1111's SamplerItem.options is dict[str, str]: pydantic v1 stringifies booleans to "True". */
export function samplerOptions(entry: SamplerDefinition): Record<string, string> {
  const options: Record<string, string> = {};
  if (entry.defaultScheduler) options.scheduler = entry.defaultScheduler;
  if (entry.discardPenultimateSigma) options.discard_next_to_last_sigma = "True";
  if (entry.brownianNoise) options.brownian_noise = "True";
  if (entry.solverType) options.solver_type = entry.solverType;
  if (entry.usesEnsd) options.uses_ensd = "True";
  if (entry.secondOrder) options.second_order = "True";
  return options;
}
