/**
 * A1111 settings (`/sdapi/v1/options`, `override_settings`): the ones Serena's engine reads, with A1111's defaults
 * (a1111-api.md §9.1), plus those clients commonly read. GET returns all of them; POST and override_settings
 * validate known keys with the same lax coercion as the request bodies.
 */
import { z } from "zod";
import { boolField, floatField, intField, optionalStr, strField } from "./fields.ts";

const choice = <T extends string>(def: T, values: readonly [T, ...T[]]) =>
  z.preprocess((v) => (v === null ? undefined : v), z.enum(values, { error: `value is not one of: ${values.join(", ")}` }).default(def));

export const optionShape = {
  sd_model_checkpoint: strField("", 1000),
  sd_checkpoint_hash: strField("", 64),
  sd_vae: strField("Automatic", 1000),
  CLIP_stop_at_last_layers: intField(1, { min: 1, max: 12 }),
  samples_format: choice("png", ["png", "jpg", "jpeg", "webp"]),
  jpeg_quality: intField(80, { min: 1, max: 100 }),
  webp_lossless: boolField(false),
  enable_pnginfo: boolField(true),
  eta_noise_seed_delta: intField(0, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  randn_source: choice("GPU", ["GPU", "CPU", "NV"]),
  img2img_fix_steps: boolField(false),
  img2img_background_color: strField("#ffffff", 32),
  initial_noise_multiplier: floatField(1, { min: 0, max: 10 }),
  emphasis: choice("Original", ["Original", "No norm", "Ignore", "None"]),
  comma_padding_backtrack: intField(20, { min: 0, max: 74 }),
  eta_ancestral: floatField(1, { min: 0, max: 1 }),
  eta_ddim: floatField(0, { min: 0, max: 1 }),
  s_churn: floatField(0, { min: 0, max: 100 }),
  s_tmin: floatField(0, { min: 0, max: 100 }),
  s_tmax: floatField(0, { min: 0, max: 1000 }),
  s_noise: floatField(1, { min: 0, max: 10 }),
  sigma_min: floatField(0, { min: 0, max: 1000 }),
  sigma_max: floatField(0, { min: 0, max: 1000 }),
  rho: floatField(0, { min: 0, max: 100 }),
  always_discard_next_to_last_sigma: boolField(false),
  sgm_noise_multiplier: boolField(false),
  uni_pc_variant: choice("bh1", ["bh1", "bh2", "vary_coeff"]),
  uni_pc_skip_type: choice("time_uniform", ["time_uniform", "time_quadratic", "logSNR"]),
  uni_pc_order: intField(3, { min: 1, max: 50 }),
  uni_pc_lower_order_final: boolField(true),
  add_model_hash_to_info: boolField(true),
  add_model_name_to_info: boolField(true),
  add_version_to_infotext: boolField(true),
  return_grid: boolField(true),
  upscaler_for_img2img: optionalStr(100),
  show_progress_every_n_steps: intField(10, { min: -1, max: 1000 }),
  live_previews_enable: boolField(true),
  api_enable_requests: boolField(true),
  api_forbid_local_requests: boolField(true),
  api_useragent: strField("", 1000),
};

/** A1111 returns these but refuses to set them over the API (`restrict_api`). */
export const RESTRICTED_OPTIONS = new Set(["api_enable_requests", "api_forbid_local_requests", "api_useragent"]);

export const Options = z.object(optionShape).meta({ id: "OptionsModel" });
export type Options = z.output<typeof Options>;
export type OptionKey = keyof Options;

/** A partial update: each key validated alone, unknown keys reported by the caller. */
export const OptionsUpdate = z.object(optionShape).partial().meta({ id: "OptionsUpdate" });

export const isOptionKey = (key: string): key is OptionKey => Object.hasOwn(optionShape, key);

/** Validates one option value with that option's schema (used by POST /options and override_settings). */
export function parseOption(key: OptionKey, value: unknown) {
  return optionShape[key].safeParse(value);
}
