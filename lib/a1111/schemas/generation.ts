/**
 * txt2img and img2img request bodies: every A1111 v1.10.1 field in model order with its *API* default
 * (docs/a1111-semantics.md §2.2, §2.3), lax coercion (fields.ts), and Serena's bounds (limits.ts).
 */
import * as z from "zod";
import { promptConditioningError } from "../../engine/prompts/check.ts";
import { findSampler, totalSteps, type SamplerDefinition } from "../../engine/samplers/registry.ts";
import { findLatentUpscaleMode, findUpscaler, LATENT_UPSCALE_MODES, UPSCALERS } from "../../engine/upscalers.ts";
import { resolveSampler, samplerNames, schedulerNames } from "../sampler-names.ts";
import { hiresTarget } from "../generation/hires.ts";
import { alwaysOnScriptIssues, scriptNameIssue } from "../generation/scripts.ts";
import {
  boolField,
  dict,
  floatField,
  intField,
  jsonList,
  optionalBool,
  optionalInt,
  optionalFloat,
  optionalStr,
  requiredBool,
  requiredFloat,
  requiredStr,
  strField,
  strList,
} from "./fields.ts";
import { LIMITS } from "./limits.ts";

const size = { min: LIMITS.minSize, max: LIMITS.maxSize };
const seed = { min: -1, max: LIMITS.maxSeed };
const unit = { min: 0, max: 1 };
const nonNegative = { min: 0, max: 1000 };
const prompt = () => strField("", LIMITS.maxPromptLength);

/** Fields 1–21 of both models (docs/a1111-semantics.md §2.2). */
const head = {
  prompt: prompt(),
  negative_prompt: prompt(),
  styles: strList(LIMITS.maxStyles, 256).nullable().default(null),
  seed: intField(-1, seed),
  subseed: intField(-1, seed),
  subseed_strength: floatField(0, unit),
  seed_resize_from_h: intField(-1, { min: -1, max: LIMITS.maxSize }),
  seed_resize_from_w: intField(-1, { min: -1, max: LIMITS.maxSize }),
  sampler_name: optionalStr(100),
  scheduler: optionalStr(100),
  batch_size: intField(1, { min: 1, max: LIMITS.maxBatchSize }),
  n_iter: intField(1, { min: 1, max: LIMITS.maxNIter }),
  steps: intField(50, { min: 1, max: LIMITS.maxSteps }),
  cfg_scale: floatField(7, { min: 0, max: LIMITS.maxCfgScale }),
  width: intField(512, size),
  height: intField(512, size),
  restore_faces: optionalBool(),
  tiling: optionalBool(),
  do_not_save_samples: boolField(false),
  do_not_save_grid: boolField(false),
  eta: optionalFloat(unit),
};

/** Fields 23–34 of both models. */
const middle = {
  s_min_uncond: optionalFloat(nonNegative),
  s_churn: optionalFloat(nonNegative),
  s_tmax: optionalFloat(nonNegative),
  s_tmin: optionalFloat(nonNegative),
  s_noise: optionalFloat({ min: 0, max: 10 }),
  override_settings: dict().nullable().default(null),
  override_settings_restore_afterwards: boolField(true),
  refiner_checkpoint: optionalStr(1000),
  refiner_switch_at: optionalFloat(unit),
  disable_extra_networks: boolField(false),
  firstpass_image: optionalStr(),
  comments: dict().nullable().default(null),
};

/** The "additional fields" A1111 appends to both models. */
const tail = {
  sampler_index: requiredStr("Euler", 100),
  script_name: optionalStr(200),
  script_args: jsonList().nullable().default([]),
  send_images: requiredBool(true),
  save_images: requiredBool(false),
  alwayson_scripts: dict().nullable().default({}),
  infotext: optionalStr(LIMITS.maxPromptLength * 2),
};

export const txt2imgShape = {
  ...head,
  denoising_strength: optionalFloat(unit),
  ...middle,
  enable_hr: boolField(false),
  firstphase_width: intField(0, { min: 0, max: LIMITS.maxSize }),
  firstphase_height: intField(0, { min: 0, max: LIMITS.maxSize }),
  hr_scale: floatField(2, { min: 1, max: 4 }),
  hr_upscaler: optionalStr(100),
  hr_second_pass_steps: intField(0, { min: 0, max: LIMITS.maxSteps }),
  hr_resize_x: intField(0, { min: 0, max: LIMITS.maxSize }),
  hr_resize_y: intField(0, { min: 0, max: LIMITS.maxSize }),
  hr_checkpoint_name: optionalStr(1000),
  hr_sampler_name: optionalStr(100),
  hr_scheduler: optionalStr(100),
  hr_prompt: prompt(),
  hr_negative_prompt: prompt(),
  force_task_id: optionalStr(200),
  ...tail,
};

export const img2imgShape = {
  ...head,
  denoising_strength: requiredFloat(0.75, unit),
  ...middle,
  init_images: z.array(z.string({ error: "str type expected" }), { error: "value is not a valid list" }).nullable().default(null),
  resize_mode: intField(0, { min: 0, max: 3 }),
  image_cfg_scale: optionalFloat({ min: 0, max: LIMITS.maxCfgScale }),
  mask: optionalStr(),
  mask_blur_x: intField(4, { min: 0, max: 256 }),
  mask_blur_y: intField(4, { min: 0, max: 256 }),
  mask_blur: optionalInt({ min: 0, max: 256 }),
  mask_round: boolField(true),
  inpainting_fill: intField(0, { min: 0, max: 3 }),
  inpaint_full_res: boolField(true),
  inpaint_full_res_padding: intField(0, { min: 0, max: LIMITS.maxSize }),
  inpainting_mask_invert: intField(0, { min: 0, max: 1 }),
  initial_noise_multiplier: optionalFloat({ min: 0, max: 10 }),
  latent_mask: optionalStr(),
  force_task_id: optionalStr(200),
  sampler_index: tail.sampler_index,
  include_init_images: boolField(false),
  script_name: tail.script_name,
  script_args: tail.script_args,
  send_images: tail.send_images,
  save_images: tail.save_images,
  alwayson_scripts: tail.alwayson_scripts,
  infotext: tail.infotext,
};

type Common = z.output<z.ZodObject<typeof head & typeof middle & typeof tail>>;
/** The hires fields checkCommon reads (txt2img only). */
interface Hires {
  enable_hr?: boolean;
  hr_sampler_name?: string | null;
  hr_scheduler?: string | null;
  hr_upscaler?: string | null;
  hr_second_pass_steps?: number;
  hr_prompt?: string;
  hr_negative_prompt?: string;
}

/**
 * Prompts A1111 would fail on while conditioning (lib/engine/prompts/check.ts: a `:weight)` Python's float() rejects,
 * such as `(a:.)`, or a prompt-editing step that overflows), checked with the model-call counts the engine will
 * use, for each pass and prompt the engine encodes: a 422 naming the field where A1111 answers 500. The "None"
 * emphasis mode reads no weights; it is seen here when override_settings sets it (the server's own setting is
 * not known to the request schema).
 */
function checkPrompts(body: Common & Hires, sampler: SamplerDefinition, ctx: z.RefinementCtx) {
  const attention = body.override_settings?.emphasis !== "None";
  const steps = totalSteps(sampler, body.steps);
  const failed = new Set<string>();
  const check = (field: string, prompt: string, positive: boolean, hiresSteps?: number) => {
    if (failed.has(field)) return;
    const error = promptConditioningError(prompt, { positive, attention, steps, hiresSteps });
    if (error === null) return;
    failed.add(field);
    ctx.addIssue({ code: "custom", path: [field], message: error });
  };
  check("prompt", body.prompt, true);
  check("negative_prompt", body.negative_prompt, false);
  if (!body.enable_hr) return;
  // The hires pass as lib/a1111/generation/hires.ts plans it: its sampler (when hr_sampler_name names one), its steps, its prompts.
  const hiresSampler = (body.hr_sampler_name ? findSampler(body.hr_sampler_name) : undefined) ?? sampler;
  const hiresSteps = totalSteps(hiresSampler, body.hr_second_pass_steps || body.steps);
  check(body.hr_prompt ? "hr_prompt" : "prompt", body.hr_prompt || body.prompt, true, hiresSteps);
  check(body.hr_negative_prompt ? "hr_negative_prompt" : "negative_prompt", body.hr_negative_prompt || body.negative_prompt, false, hiresSteps);
}

/** Cross-field rules: sampler names, batch bounds, scripts Serena does not have, prompts A1111 fails on. */
function checkCommon(body: Common & Hires, ctx: z.RefinementCtx) {
  const resolved = resolveSampler(body.sampler_name ?? body.sampler_index, body.scheduler);
  if (!("error" in resolved)) checkPrompts(body, resolved.sampler, ctx);
  if ("error" in resolved) {
    const field = resolved.error === "scheduler" ? "scheduler" : body.sampler_name !== null ? "sampler_name" : "sampler_index";
    const valid = resolved.error === "scheduler" ? schedulerNames() : samplerNames();
    ctx.addIssue({
      code: "custom",
      path: [field],
      message: `unknown ${resolved.error} '${String(field === "scheduler" ? body.scheduler : body.sampler_name ?? body.sampler_index)}'; valid ${resolved.error}s: ${valid.join(", ")}`,
    });
  }
  if (body.batch_size * body.n_iter > LIMITS.maxImages) {
    ctx.addIssue({
      code: "custom",
      path: ["n_iter"],
      message: `batch_size × n_iter must be at most ${LIMITS.maxImages} images (got ${body.batch_size * body.n_iter})`,
    });
  }
  if (body.batch_size * body.width * body.height > LIMITS.maxBatchPixels) {
    ctx.addIssue({
      code: "custom",
      path: ["batch_size"],
      message: `batch_size × width × height must be at most ${LIMITS.maxBatchPixels} pixels (got ${body.batch_size * body.width * body.height}); use n_iter for more images`,
    });
  }
  // Features A1111 has and Serena does not run: refused rather than silently ignored.
  if (body.restore_faces) ctx.addIssue({ code: "custom", path: ["restore_faces"], message: "face restoration is not available in Serena" });
  if (body.tiling) {
    ctx.addIssue({ code: "custom", path: ["tiling"], message: "tiling needs circular convolution padding, which ONNX exports do not have" });
  }
  // Serena has no scripts: entries that leave a script off are no-ops, anything else a 422 (lib/a1111/generation/scripts.ts).
  for (const issue of [scriptNameIssue(body.script_name) ?? [], alwaysOnScriptIssues(body.alwayson_scripts)].flat()) {
    ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  }
  if (body.enable_hr && "hr_scale" in body) checkHiresSize(body as Txt2ImgRequest, ctx);
  if (body.enable_hr) {
    if (body.hr_sampler_name && "error" in resolveSampler(body.hr_sampler_name, body.hr_scheduler)) {
      ctx.addIssue({
        code: "custom",
        path: ["hr_sampler_name"],
        message: `unknown sampler '${body.hr_sampler_name}'; valid samplers: ${samplerNames().join(", ")}`,
      });
    }
    if (body.hr_upscaler && !findUpscaler(body.hr_upscaler) && !findLatentUpscaleMode(body.hr_upscaler)) {
      const valid = [...LATENT_UPSCALE_MODES.map((m) => m.name), ...UPSCALERS.map((u) => u.name)];
      ctx.addIssue({
        code: "custom",
        path: ["hr_upscaler"],
        message: `could not find upscaler named ${body.hr_upscaler}; valid upscalers: ${valid.join(", ")}`,
      });
    }
  }
}

/**
 * Cross-field rules read field values, so they run only once every field is valid: a rejected width must not also
 * be blamed on batch_size (pydantic's `skip_on_failure`).
 */
const onceFieldsAreValid = { when: (payload: z.core.ParsePayload) => payload.issues.length === 0 };

/** Hires fix's target obeys the same bounds as a first pass (limits.ts). */
function checkHiresSize(body: Txt2ImgRequest, ctx: z.RefinementCtx) {
  const { upscaleWidth: w, upscaleHeight: h } = hiresTarget(body);
  const field = body.hr_resize_x || body.hr_resize_y ? (body.hr_resize_x ? "hr_resize_x" : "hr_resize_y") : "hr_scale";
  if (Math.max(w, h) > LIMITS.maxSize || Math.min(w, h) < LIMITS.minSize) {
    ctx.addIssue({ code: "custom", path: [field], message: `hires fix would make ${w}x${h} images; each side must be ${LIMITS.minSize}–${LIMITS.maxSize}` });
  } else if (body.batch_size * w * h > LIMITS.maxBatchPixels) {
    ctx.addIssue({
      code: "custom",
      path: [field],
      message: `batch_size × hires width × height must be at most ${LIMITS.maxBatchPixels} pixels (got ${body.batch_size * w * h}); use n_iter for more images`,
    });
  }
}

export const Txt2ImgRequest = z.object(txt2imgShape).superRefine(checkCommon, onceFieldsAreValid).meta({ id: "StableDiffusionTxt2ImgProcessingAPI" });

export const Img2ImgRequest = z
  .object(img2imgShape)
  .superRefine((body, ctx) => {
    checkCommon(body, ctx);
    if (body.latent_mask && !body.mask) {
      ctx.addIssue({ code: "custom", path: ["latent_mask"], message: "latent_mask only applies when inpainting: send a mask too, or leave latent_mask out" });
    }
    if (body.init_images === null || body.init_images.length === 0) {
      ctx.addIssue({ code: "custom", path: ["init_images"], message: "Init image not found: img2img needs at least one init image" });
    } else if (body.init_images.length > body.batch_size) {
      ctx.addIssue({
        code: "custom",
        path: ["init_images"],
        message: `bad number of images passed: ${body.init_images.length}; expecting ${body.batch_size} or less`,
      });
    }
  }, onceFieldsAreValid)
  .meta({ id: "StableDiffusionImg2ImgProcessingAPI" });

export type Txt2ImgRequest = z.output<typeof Txt2ImgRequest>;
export type Img2ImgRequest = z.output<typeof Img2ImgRequest>;
export type GenerationRequest = Txt2ImgRequest | Img2ImgRequest;
