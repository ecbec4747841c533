/**
 * A sampling pass's settings from a request and the options in force, with A1111's rules (modules/processing.py
 * `__post_init__`, modules/sd_samplers_common.py `Sampler.initialize`; docs/a1111-semantics.md):
 * - eta: the request's, else the option the sampler reads it from (eta_ancestral, or eta_ddim for DDIM);
 * - s_churn/s_tmin/s_tmax/s_noise: the request's, else the option; but an *option* that differs from the sampler's
 *   default wins over the request and is written to the infotext ("Sigma churn", …), as A1111 does;
 * - s_min_uncond (NGMS), skip_early_cond, the UniPC options, the schedule overrides.
 * A setting the request sets that the chosen sampler does not read is reported as a warning, never dropped silently.
 */
import type { SamplingSpec } from "../../engine/plan.ts";
import type { SamplerDefinition, SamplerSetting, SamplerSettings } from "../../engine/samplers/registry.ts";
import { pyFloat, type PyValue } from "../infotext/python-format.ts";
import type { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";
import type { Options } from "../schemas/options.ts";

type Request = Txt2ImgRequest | Img2ImgRequest;

/** k-diffusion's defaults for the churn settings (`Sampler.__init__`: s_churn 0, s_tmin 0, s_tmax ∞, s_noise 1). */
const CHURN_DEFAULTS = { s_churn: 0, s_tmin: 0, s_tmax: Infinity, s_noise: 1 } as const;
const CHURN_INFOTEXT = { s_churn: "Sigma churn", s_tmin: "Sigma tmin", s_tmax: "Sigma tmax", s_noise: "Sigma noise" } as const;

export interface PassSettings {
  readonly spec: SamplingSpec;
  /** Infotext entries the settings add, in A1111's insertion order. */
  readonly extra: Record<string, PyValue>;
}

/** The eta a sampler runs with: the request's, else its option (0 for samplers without eta, which ignore it). */
export function samplerEta(sampler: SamplerDefinition, request: Request, options: Options): number {
  if (!sampler.eta) return request.eta ?? 0;
  return request.eta ?? options[sampler.eta.option];
}

export function passSettings(
  sampler: SamplerDefinition,
  scheduler: string,
  steps: number,
  request: Request,
  options: Options,
): PassSettings {
  const extra: Record<string, PyValue> = {};
  const eta = samplerEta(sampler, request, options);
  if (sampler.eta && eta !== sampler.eta.default) extra[sampler.eta.infotext] = pyFloat(eta);

  const churn = { s_churn: 0, s_tmin: 0, s_tmax: Infinity, s_noise: 1 };
  for (const key of ["s_churn", "s_tmin", "s_tmax", "s_noise"] as const) {
    const fromOption = options[key];
    const fromRequest = request[key] ?? fromOption;
    // s_tmax 0 means "no upper bound" wherever it comes from.
    const [optionValue, requestValue] = key === "s_tmax" ? [fromOption || Infinity, fromRequest || Infinity] : [fromOption, fromRequest];
    if (!sampler.reads.includes(key)) continue;
    if (optionValue !== CHURN_DEFAULTS[key]) {
      churn[key] = optionValue;
      extra[CHURN_INFOTEXT[key]] = pyFloat(optionValue);
    } else churn[key] = requestValue;
  }

  const settings: SamplerSettings = {
    eta,
    sChurn: churn.s_churn,
    sTmin: churn.s_tmin,
    sTmax: churn.s_tmax,
    sNoise: churn.s_noise,
    uniPc: {
      variant: options.uni_pc_variant,
      order: options.uni_pc_order,
      lowerOrderFinal: options.uni_pc_lower_order_final,
      skipType: options.uni_pc_skip_type,
    },
  };
  const spec: SamplingSpec = {
    sampler: sampler.name,
    scheduler,
    steps,
    cfgScale: request.cfg_scale,
    settings,
    sigmaMin: options.sigma_min,
    sigmaMax: options.sigma_max,
    rho: options.rho,
    betaAlpha: options.beta_dist_alpha,
    betaBeta: options.beta_dist_beta,
    alwaysDiscardPenultimate: options.always_discard_next_to_last_sigma,
    sMinUncond: request.s_min_uncond ?? options.s_min_uncond,
    sMinUncondAllSteps: options.s_min_uncond_all,
    skipEarlyCond: options.skip_early_cond,
  };
  return { spec, extra };
}

/** The request fields and per-request options each sampler setting comes from, with the value that means "unset". */
const SETTING_SOURCES: ReadonlyArray<{ setting: SamplerSetting; field?: keyof Request; options: readonly string[]; unset: unknown }> = [
  { setting: "eta", field: "eta", options: [], unset: null },
  { setting: "s_churn", field: "s_churn", options: ["s_churn"], unset: 0 },
  { setting: "s_tmin", field: "s_tmin", options: ["s_tmin"], unset: 0 },
  { setting: "s_tmax", field: "s_tmax", options: ["s_tmax"], unset: 0 },
  { setting: "s_noise", field: "s_noise", options: ["s_noise"], unset: 1 },
  { setting: "uni_pc", options: ["uni_pc_variant", "uni_pc_order", "uni_pc_lower_order_final", "uni_pc_skip_type"], unset: undefined },
];

/**
 * Settings this request sets (its own fields, or `override_settings` it sent) that none of its samplers read:
 * accepted as A1111 accepts them, and named in the response's `warnings`.
 */
export function ignoredSettingWarnings(request: Request, samplers: readonly SamplerDefinition[]): string[] {
  const warnings: string[] = [];
  const names = [...new Set(samplers.map((s) => s.name))].join(" and ");
  const overrides = request.override_settings ?? {};
  for (const source of SETTING_SOURCES) {
    if (samplers.some((s) => s.reads.includes(source.setting))) continue;
    const value = source.field ? request[source.field] : undefined;
    if (source.field && value !== null && value !== undefined && value !== source.unset) {
      warnings.push(`${source.field}=${String(value)} has no effect: ${names} does not use it`);
    }
    for (const key of source.options) {
      if (key in overrides) warnings.push(`override_settings.${key} has no effect: ${names} does not use it`);
    }
  }
  if ("eta_ancestral" in overrides && !samplers.some((s) => s.eta?.option === "eta_ancestral")) {
    warnings.push(`override_settings.eta_ancestral has no effect: ${names} does not use it`);
  }
  if ("eta_ddim" in overrides && !samplers.some((s) => s.eta?.option === "eta_ddim")) {
    warnings.push(`override_settings.eta_ddim has no effect: ${names} does not use it`);
  }
  return warnings;
}
