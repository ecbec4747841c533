import { SAMPLERS, type SamplerSettings } from "../../../lib/engine/samplers/registry.ts";
import type { SamplerArgs } from "../../../lib/engine/samplers/types.ts";
import { findScheduler } from "../../../lib/engine/schedules/registry.ts";
import { SD15 } from "../schedules/sd15.ts";

/**
 * Each registry sampler called the way k-diffusion's functions are, with its settings as keyword arguments: what the
 * toy tests drive. Settings left out take A1111's defaults.
 */
export const SAMPLER_FUNCTIONS: Readonly<Record<string, (args: SamplerArgs) => Promise<Float32Array>>> = Object.fromEntries(
  SAMPLERS.map((sampler) => [
    sampler.name,
    ({ eta, sChurn, sTmin, sTmax, sNoise, ...args }: SamplerArgs) => {
      const settings: SamplerSettings = {
        eta: eta ?? sampler.eta?.default ?? 0,
        sChurn: sChurn ?? 0,
        sTmin: sTmin ?? 0,
        sTmax: sTmax ?? Infinity,
        sNoise: sNoise ?? 1,
        uniPc: { variant: "bh1", order: 3, lowerOrderFinal: true, skipType: "time_uniform" },
      };
      return sampler.run({ ...args, settings });
    },
  ]),
);

/**
 * docs/engine-reference.md §2.8: the ideal denoiser for data N(0, 0.5²), D(x, σ) = x·0.25/(σ² + 0.25), started from
 * x = 1.0·σ0. Its probability-flow ODE has x(σ) ∝ √(σ² + 0.25), so x(0) = 0.49970764 from σ0 = 14.614642.
 */
export const toyDenoise = async (x: Float32Array, sigma: number) => x.map((v) => (v * 0.25) / (sigma * sigma + 0.25));

export const EXACT_AT_ZERO = 0.49970764;

/** The exact ODE solution at σ from x = σ0 at σ0. */
export const exactAt = (sigma0: number, sigma: number) => (sigma0 * Math.sqrt(sigma * sigma + 0.25)) / Math.sqrt(sigma0 * sigma0 + 0.25);

export const toySigmas = (schedule: "uniform" | "karras" | "exponential", n = 20) =>
  findScheduler(schedule)!.sigmas!(n, { model: SD15, sigmaMin: SD15.sigmaMin, sigmaMax: SD15.sigmaMax, betaAlpha: 0.6, betaBeta: 0.6 });

/** Standard normal noise from a seeded xorshift + Box–Muller: a stand-in for the caller's per-image streams. */
export function gaussianNoise(length: number, seed = 1): () => Float32Array {
  let state = seed >>> 0 || 1;
  const uniform = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 1) / 4294967297;
  };
  return () => {
    const out = new Float32Array(length);
    for (let k = 0; k < length; k++) out[k] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return out;
  };
}

export const constantNoise = (value: number, length = 1) => () => new Float32Array(length).fill(value);
