import { sampleEulerAncestral } from "./euler-ancestral.ts";
import type { SamplerArgs } from "./types.ts";

/**
 * A1111's DDIM (modules/sd_samplers_timesteps_impl.py `ddim`), run in σ space over its timesteps' sigmas
 * (`ddimSigmas`). With a_t = 1/(1+σ²), its update x_prev = √a_prev·x0 + √(1 − a_prev − σ_t²)·ε + σ_t·z, divided
 * by √a_prev, is x0 + σ_down·ε + σ_up·z with σ_up² = eta²·σ_prev²(σ² − σ_prev²)/σ², k-diffusion's ancestral step:
 * DDIM is Euler ancestral on those sigmas, eta defaulting to opts.eta_ddim = 0 (plain Euler, the DDIM ODE step).
 * A1111 draws z every step even at eta 0; Serena skips draws that would be multiplied by 0. DDIM has no s_noise.
 */
export function sampleDdim(args: SamplerArgs): Promise<Float32Array> {
  return sampleEulerAncestral({ ...args, eta: args.eta ?? 0, sNoise: 1 });
}
