/**
 * The samplers Serena runs, in A1111's order and with A1111's names, aliases and options
 * (modules/sd_samplers_kdiffusion.py `samplers_k_diffusion`, modules/sd_samplers_timesteps.py, v1.10.1).
 * Only samplers with an implementation in lib/engine/samplers are listed: `/sdapi/v1/samplers` lists what runs.
 */
export interface SamplerEntry {
  /** A1111 label, e.g. "DPM++ 2M". */
  readonly name: string;
  readonly aliases: readonly string[];
  /** Scheduler used when the request says "Automatic" (A1111 `options.scheduler`). */
  readonly defaultScheduler?: "karras" | "exponential";
  /** Calls the model twice per step: prompt-editing schedules count steps twice (A1111 `second_order`). */
  readonly secondOrder: boolean;
  /** Sigmas are made for steps+1 and the penultimate one dropped (A1111 `discard_next_to_last_sigma`). */
  readonly discardPenultimateSigma: boolean;
  /** Adds noise after the first step, so ENSD changes its result (A1111 `uses_ensd`). */
  readonly usesEnsd: boolean;
  /** A1111 draws this sampler's noise from a Brownian tree (`brownian_noise`); Serena uses the image's RNG stream. */
  readonly brownianNoise: boolean;
  /** Takes eta (ancestral and SDE samplers); eta's default is opts.eta_ancestral (1.0), DDIM's opts.eta_ddim (0.0). */
  readonly usesEta: boolean;
  /** "k-diffusion" samplers start from sigma-scaled noise; "timesteps" samplers (DDIM, UniPC) use A1111's CompVis timesteps. */
  readonly family: "k-diffusion" | "timesteps";
  readonly solverType?: "heun";
}

const k = (
  name: string,
  aliases: string[],
  extra: Partial<Omit<SamplerEntry, "name" | "aliases" | "family">> = {},
): SamplerEntry => ({
  name,
  aliases,
  secondOrder: false,
  discardPenultimateSigma: false,
  usesEnsd: false,
  brownianNoise: false,
  usesEta: false,
  family: "k-diffusion",
  ...extra,
});

export const SAMPLERS: readonly SamplerEntry[] = [
  k("DPM++ 2M", ["k_dpmpp_2m"], { defaultScheduler: "karras" }),
  k("DPM++ SDE", ["k_dpmpp_sde"], { defaultScheduler: "karras", secondOrder: true, brownianNoise: true, usesEta: true }),
  k("DPM++ 2M SDE", ["k_dpmpp_2m_sde"], { defaultScheduler: "exponential", brownianNoise: true, usesEta: true }),
  k("DPM++ 2M SDE Heun", ["k_dpmpp_2m_sde_heun"], {
    defaultScheduler: "exponential",
    brownianNoise: true,
    usesEta: true,
    solverType: "heun",
  }),
  k("DPM++ 2S a", ["k_dpmpp_2s_a"], { defaultScheduler: "karras", usesEnsd: true, secondOrder: true, usesEta: true }),
  k("DPM++ 3M SDE", ["k_dpmpp_3m_sde"], {
    defaultScheduler: "exponential",
    discardPenultimateSigma: true,
    brownianNoise: true,
    usesEta: true,
  }),
  k("Euler a", ["k_euler_a", "k_euler_ancestral"], { usesEnsd: true, usesEta: true }),
  k("Euler", ["k_euler"]),
  k("LMS", ["k_lms"]),
  k("Heun", ["k_heun"], { secondOrder: true }),
  k("DPM2", ["k_dpm_2"], { defaultScheduler: "karras", discardPenultimateSigma: true, secondOrder: true }),
  k("DPM2 a", ["k_dpm_2_a"], {
    defaultScheduler: "karras",
    discardPenultimateSigma: true,
    usesEnsd: true,
    secondOrder: true,
    usesEta: true,
  }),
  { ...k("DDIM", ["ddim"], { usesEta: true }), family: "timesteps" },
  { ...k("UniPC", ["unipc"]), family: "timesteps" },
  k("LCM", ["k_lcm"]),
];

/** A1111's SamplerItem.options is dict[str, str]: pydantic v1 stringifies booleans to "True". */
export function samplerOptions(entry: SamplerEntry): Record<string, string> {
  const options: Record<string, string> = {};
  if (entry.defaultScheduler) options.scheduler = entry.defaultScheduler;
  if (entry.discardPenultimateSigma) options.discard_next_to_last_sigma = "True";
  if (entry.brownianNoise) options.brownian_noise = "True";
  if (entry.solverType) options.solver_type = entry.solverType;
  if (entry.usesEnsd) options.uses_ensd = "True";
  if (entry.secondOrder) options.second_order = "True";
  return options;
}
