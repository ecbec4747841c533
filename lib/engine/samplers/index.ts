import type { SamplerEntry } from "./registry.ts";
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
import type { SamplerFunction } from "./types.ts";
import { sampleUniPc } from "./unipc.ts";

/**
 * The function behind each catalog sampler, by its A1111 name (lib/engine/samplers/registry.ts). Options reach them as
 * A1111 passes them (modules/sd_samplers_kdiffusion.py `sampler_extra_params`): churn only to Euler, Heun and DPM2,
 * which read it; s_noise to all that add noise except Euler a, pinned to 1 here.
 */
export const SAMPLER_FUNCTIONS: Readonly<Record<string, SamplerFunction>> = {
  "DPM++ 2M": sampleDpmpp2m,
  "DPM++ SDE": sampleDpmppSde,
  "DPM++ 2M SDE": (args) => sampleDpmpp2mSde({ ...args, solverType: "midpoint" }),
  "DPM++ 2M SDE Heun": (args) => sampleDpmpp2mSde({ ...args, solverType: "heun" }),
  "DPM++ 2S a": sampleDpmpp2sAncestral,
  "DPM++ 3M SDE": sampleDpmpp3mSde,
  "Euler a": (args) => sampleEulerAncestral({ ...args, sNoise: 1 }),
  Euler: sampleEuler,
  LMS: sampleLms,
  Heun: sampleHeun,
  DPM2: sampleDpm2,
  "DPM2 a": sampleDpm2Ancestral,
  DDIM: sampleDdim,
  UniPC: sampleUniPc,
  LCM: sampleLcm,
};

/**
 * Steps as A1111 counts them for prompt-editing schedules and progress (`SamplerData.total_steps`): doubled for
 * samplers that call the model twice per step.
 */
export function totalSteps(sampler: SamplerEntry, steps: number): number {
  return sampler.secondOrder ? steps * 2 : steps;
}
