/** The listing routes, built from the catalogs so that they list exactly what runs. */
import { SAMPLERS, samplerOptions } from "../../engine/samplers/registry.ts";
import { SCHEDULERS } from "../../engine/schedules/registry.ts";
import { LATENT_UPSCALE_MODES, UPSCALERS } from "../../engine/upscalers.ts";

export const samplerList = () => SAMPLERS.map((s) => ({ name: s.name, aliases: [...s.aliases], options: samplerOptions(s) }));

export const schedulerList = () =>
  SCHEDULERS.map((s) => ({
    name: s.name,
    label: s.label,
    aliases: s.aliases ? [...s.aliases] : null,
    default_rho: s.defaultRho,
    need_inner_model: s.needInnerModel,
  }));

/** A1111's UpscalerData defaults: no model files and scale 4.0 for the plain resizes. */
export const upscalerList = () =>
  UPSCALERS.map((u) => ({ name: u.name, model_name: null, model_path: null, model_url: null, scale: 4 }));

export const latentUpscaleModeList = () => LATENT_UPSCALE_MODES.map((m) => ({ name: m.name }));
