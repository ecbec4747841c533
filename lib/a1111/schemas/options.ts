/**
 * A1111 settings (`/sdapi/v1/options`, `override_settings`): every key a default A1111 v1.10.1 install registers
 * (the catalogue in a1111-options.ts), each with A1111's default and validated by its real type, slider bounds and
 * fixed choices, with the same lax pydantic-v1 coercion as the request bodies (fields.ts).
 *
 * Two layers:
 * - the catalogue's keys get a field built from their row (kind, default, min/max, choices);
 * - the keys Serena acts on keep the schemas the engine was built against (`actedOnShape`); where those differ from
 *   A1111's UI bounds (e.g. initial_noise_multiplier up to 10 rather than the slider's 1.5), the engine accepts the
 *   wider range, as A1111's API does (its `set_config` stores any value).
 * Colour settings (A1111's `FormColorPicker`) accept only `#rgb` / `#rrggbb`: a value PIL could not read would be
 * stored and then break every later request that uses it.
 */
import * as z from "zod";
import { A1111_OPTIONS, type A1111OptionKey, type A1111OptionSpec } from "./a1111-options.ts";
import { boolField, coerceStr, floatField, intField, MSG, optionalStr, strField } from "./fields.ts";

const choiceMessage = (values: readonly string[]) => `value is not one of: ${values.join(", ")}`;

const choice = <T extends string>(def: T, values: readonly [T, ...T[]]) =>
  z.preprocess((v) => (v === null ? undefined : v), z.enum(values, { error: choiceMessage(values) }).default(def));

const HEX_COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** A `FormColorPicker` setting: Gradio's ColorPicker sends `#rrggbb`; `#rgb` is the short form PIL also reads. */
const colourField = (def: string) =>
  z.preprocess(
    (v) => (v === null ? undefined : coerceStr(v)),
    z
      .string({ error: MSG.str })
      .regex(HEX_COLOUR, { error: `string does not match regex "${HEX_COLOUR.source}"` })
      .default(def),
  );

/** A list-of-str setting (CheckboxGroup, multiselect Dropdown); items limited to `choices` where A1111 fixes them. */
const strListField = (def: readonly string[], choices?: readonly string[]) => {
  const item = choices
    ? z.enum(choices as readonly [string, ...string[]], { error: choiceMessage(choices) })
    : z.preprocess(coerceStr, z.string({ error: MSG.str }));
  return z.preprocess((v) => (v === null ? undefined : v), z.array(item, { error: MSG.list }).default(() => [...def]));
};

const bounds = (spec: A1111OptionSpec) => ({
  ...(spec.min === undefined ? {} : { min: spec.min }),
  ...(spec.max === undefined ? {} : { max: spec.max }),
});

/**
 * The field for one catalogue row. Rows with the same kind, default, bounds and choices share one schema (324 rows,
 * 118 distinct fields): zod schemas are immutable and their messages do not name the key, so sharing changes nothing
 * but the work done at import, which every API function pays at its start.
 */
const catalogueFields = new Map<string, z.ZodType>();
function catalogueField(spec: A1111OptionSpec): z.ZodType {
  const key = JSON.stringify([spec.kind, spec.default, spec.min, spec.max, spec.choices]);
  let field = catalogueFields.get(key);
  if (field === undefined) {
    field = newCatalogueField(spec);
    catalogueFields.set(key, field);
  }
  return field;
}

function newCatalogueField(spec: A1111OptionSpec): z.ZodType {
  switch (spec.kind) {
    case "bool":
      return boolField(spec.default as boolean);
    case "int":
      return intField(spec.default as number, bounds(spec));
    case "float":
      return floatField(spec.default as number, bounds(spec));
    case "nullable-str":
      return optionalStr();
    case "color":
      return colourField(spec.default as string);
    case "str-list":
      return strListField(spec.default as readonly string[], spec.choices);
    case "str":
      return spec.choices
        ? choice(spec.default as string, spec.choices as readonly [string, ...string[]])
        : strField(spec.default as string);
  }
}

type Catalogue = typeof A1111_OPTIONS;

/** The value type a catalogue row validates to. */
type CatalogueValue<S> = S extends { kind: "bool" }
  ? boolean
  : S extends { kind: "int" | "float" }
    ? number
    : S extends { kind: "nullable-str" }
      ? string | null
      : S extends { kind: "str-list"; choices: readonly (infer C)[] }
        ? C[]
        : S extends { kind: "str-list" }
          ? string[]
          : S extends { choices: readonly (infer C)[] }
            ? C
            : string;

const catalogueShape = Object.fromEntries(
  Object.entries(A1111_OPTIONS).map(([key, spec]) => [key, catalogueField(spec)]),
) as { [K in A1111OptionKey]: z.ZodType<CatalogueValue<Catalogue[K]>, unknown> };

/**
 * The settings Serena's engine and routes read, with the schemas and defaults they were built against (read where
 * each is used: lib/a1111/generation/{plan,sampling,generate,infotext,info}.ts, lib/a1111/routes/options.ts,
 * lib/platform/inference). `sd_model_checkpoint` defaults to "" (A1111: None until a model loads); GET fills it
 * with the backend's first model.
 */
const actedOnShape = {
  sd_model_checkpoint: strField("", 1000),
  sd_checkpoint_hash: strField("", 64),
  CLIP_stop_at_last_layers: intField(1, { min: 1, max: 12 }),
  samples_format: choice("png", ["png", "jpg", "jpeg", "webp"]),
  jpeg_quality: intField(80, { min: 1, max: 100 }),
  webp_lossless: boolField(false),
  enable_pnginfo: boolField(true),
  eta_noise_seed_delta: intField(0, { min: 0, max: Number.MAX_SAFE_INTEGER }),
  randn_source: choice("GPU", ["GPU", "CPU", "NV"]),
  img2img_fix_steps: boolField(false),
  img2img_background_color: colourField("#ffffff"),
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
  uni_pc_variant: choice("bh1", ["bh1", "bh2", "vary_coeff"]),
  uni_pc_skip_type: choice("time_uniform", ["time_uniform", "time_quadratic", "logSNR"]),
  uni_pc_order: intField(3, { min: 1, max: 50 }),
  uni_pc_lower_order_final: boolField(true),
  add_model_hash_to_info: boolField(true),
  add_model_name_to_info: boolField(true),
  add_version_to_infotext: boolField(true),
};

/** Every setting: the catalogue's fields, with the acted-on keys' own schemas in their place. */
export const optionShape = { ...catalogueShape, ...actedOnShape };

/**
 * The settings that change what Serena does: the acted-on schemas above, plus the sampling settings
 * lib/a1111/generation/sampling.ts reads by name with the catalogue's fields (Beta schedule shape, NGMS, skip early
 * CFG), inpainting's and SDXL's (lib/a1111/generation/plan.ts). Every other key is stored and returned, and has no effect.
 */
export const ACTED_ON_OPTIONS: ReadonlySet<string> = new Set([
  ...Object.keys(actedOnShape),
  "beta_dist_alpha",
  "beta_dist_beta",
  "s_min_uncond",
  "s_min_uncond_all",
  "skip_early_cond",
  "inpainting_mask_weight",
  "overlay_inpaint",
  // SDXL's time ids (lib/engine/pipeline/sdxl-conditioner.ts, read by lib/a1111/generation/plan.ts).
  "sdxl_clip_l_skip",
  "sdxl_crop_top",
  "sdxl_crop_left",
  "sdxl_refiner_low_aesthetic_score",
  "sdxl_refiner_high_aesthetic_score",
  // The refiner's pass with hires fix (lib/a1111/generation/refiner.ts).
  "hires_fix_refiner_pass",
  "refiner_switch_by_sample_steps",
]);

/**
 * Settings that would change the image in A1111 through a part Serena does not have. Each takes only the values
 * listed (A1111's default first, plus the values that mean "off"); any other value is a 422 naming the key, so a
 * client never gets an image that silently differs from the one A1111 would make.
 */
export const UNIMPLEMENTED_OPTIONS: Readonly<Record<string, { allowed: readonly (string | number | boolean)[]; why: string }>> = {
  sd_vae: { allowed: ["Automatic", "None"], why: "separate VAE files are not loaded; the checkpoint's own VAE is used" },
  sd_unet: { allowed: ["Automatic", "None"], why: "separate UNet files are not loaded" },
  sd_hypernetwork: { allowed: ["None"], why: "hypernetworks are not supported" },
  sd_lora: { allowed: ["None", ""], why: "use <lora:name:weight> in the prompt" },
  sd_vae_encode_method: { allowed: ["Full"], why: "TAESD is not available" },
  sd_vae_decode_method: { allowed: ["Full"], why: "TAESD is not available" },
  face_restoration: { allowed: [false], why: "face restoration is not available" },
  tiling: { allowed: [false], why: "tiling needs circular convolution padding, which ONNX exports do not have" },
  enable_quantization: { allowed: [false], why: "K-sampler quantization is not implemented" },
  token_merging_ratio: { allowed: [0], why: "token merging is not implemented" },
  token_merging_ratio_img2img: { allowed: [0], why: "token merging is not implemented" },
  token_merging_ratio_hr: { allowed: [0], why: "token merging is not implemented" },
  pad_cond_uncond: { allowed: [false], why: "padding cond/uncond to one length is not implemented" },
  pad_cond_uncond_v0: { allowed: [false], why: "padding cond/uncond to one length is not implemented" },
  use_old_emphasis_implementation: { allowed: [false], why: "the pre-2023 emphasis code is not implemented" },
  use_old_karras_scheduler_sigmas: { allowed: [false], why: "the old Karras sigma range is not implemented" },
  use_old_hires_fix_width_height: { allowed: [false], why: "the old hires-fix sizing is not implemented" },
  hires_fix_use_firstpass_conds: { allowed: [false], why: "first-pass conds for hires fix are not implemented" },
  use_old_scheduling: { allowed: [false], why: "the old prompt-editing schedule is not implemented" },
  use_downcasted_alpha_bar: { allowed: [false], why: "the downcast alpha-bar schedule is not implemented" },
  img2img_extra_noise: { allowed: [0], why: "img2img extra noise is not implemented" },
  img2img_color_correction: { allowed: [false], why: "img2img colour correction is not implemented" },
  sgm_noise_multiplier: { allowed: [false], why: "the SGM noise multiplier is not implemented" },
  ddim_discretize: { allowed: ["uniform"], why: "only uniform DDIM timesteps are implemented" },
  sd_noise_schedule: { allowed: ["Default"], why: "zero-terminal-SNR rescaling is not implemented" },
  enable_batch_seeds: { allowed: [true], why: "K-diffusion batch noise from one seed is not implemented" },
  hypertile_enable_unet: { allowed: [false], why: "HyperTile is not implemented" },
  hypertile_enable_unet_secondpass: { allowed: [false], why: "HyperTile is not implemented" },
  hypertile_enable_vae: { allowed: [false], why: "HyperTile is not implemented" },
  fp8_storage: { allowed: ["Disable"], why: "FP8 weight storage is not implemented" },
  return_mask: { allowed: [false], why: "returning the inpainting mask as an extra image is not implemented" },
  return_mask_composite: { allowed: [false], why: "returning the mask composite as an extra image is not implemented" },
};

/** The reason a value of an unimplemented setting is refused, or null when the value is one Serena honours. */
export function unimplementedOption(key: string, value: unknown): string | null {
  const entry = Object.hasOwn(UNIMPLEMENTED_OPTIONS, key) ? UNIMPLEMENTED_OPTIONS[key] : undefined;
  if (entry === undefined || entry.allowed.includes(value as string | number | boolean)) return null;
  return `${key}=${JSON.stringify(value)} is not supported: ${entry.why} (accepted: ${entry.allowed.map((v) => JSON.stringify(v)).join(", ")})`;
}

/** A1111 returns these but refuses to set them over the API (`restrict_api`). */
export const RESTRICTED_OPTIONS: ReadonlySet<string> = new Set(
  Object.entries(A1111_OPTIONS as Record<string, A1111OptionSpec>)
    .filter(([, spec]) => spec.restrictApi)
    .map(([key]) => key),
);

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
