/** `info`: A1111's `Processed.js()` object with its 32 keys in order, serialised as Python's json.dumps does. */
import { PyFloat, pyFloat, pyJsonDumps, type PyValue } from "../infotext/python-format.ts";
import type { GenerationInfo } from "../schemas/generation-response.ts";
import type { ModelIdentity } from "./infotext.ts";
import { SERENA_VERSION } from "./infotext.ts";
import type { RequestPlan } from "./plan.ts";

export function generationInfo(
  plan: RequestPlan,
  model: ModelIdentity,
  infotexts: string[],
  extra: Record<string, PyValue>,
): GenerationInfo {
  const r = plan.request;
  const denoising = plan.hires?.denoisingStrength ?? (plan.type === "img2img" ? r.denoising_strength : null);
  return {
    prompt: plan.prompts[0] ?? "",
    all_prompts: plan.prompts,
    negative_prompt: plan.negativePrompts[0] ?? "",
    all_negative_prompts: plan.negativePrompts,
    seed: plan.seeds[0] ?? plan.seed,
    all_seeds: plan.seeds,
    subseed: plan.subseeds[0] ?? plan.subseed,
    all_subseeds: plan.subseeds,
    subseed_strength: r.subseed_strength,
    width: r.width,
    height: r.height,
    sampler_name: plan.sampler.sampler.name,
    cfg_scale: r.cfg_scale,
    steps: r.steps,
    batch_size: r.batch_size,
    restore_faces: r.restore_faces ?? false,
    face_restoration_model: null,
    sd_model_name: model.name,
    sd_model_hash: model.hash,
    sd_vae_name: null,
    sd_vae_hash: null,
    seed_resize_from_w: r.seed_resize_from_w,
    seed_resize_from_h: r.seed_resize_from_h,
    denoising_strength: denoising ?? null,
    extra_generation_params: Object.fromEntries(
      Object.entries({ ...plan.hires?.extra, ...extra }).map(([k, v]) => [k, v instanceof PyFloat ? v.value : v]),
    ),
    index_of_first_image: 0,
    infotexts,
    styles: r.styles ?? [],
    job_timestamp: plan.jobTimestamp,
    clip_skip: plan.options.CLIP_stop_at_last_layers,
    is_using_inpainting_conditioning: false,
    version: SERENA_VERSION,
  };
}

const FLOAT_KEYS = new Set<keyof GenerationInfo>(["subseed_strength", "cfg_scale", "denoising_strength"]);

/** The `info` string: json.dumps of the object, floats printed as Python floats (`7.0`). */
export function infoJsonString(info: GenerationInfo): string {
  const obj: Record<string, PyValue> = {};
  for (const [key, value] of Object.entries(info) as [keyof GenerationInfo, unknown][]) {
    obj[key] = FLOAT_KEYS.has(key) && typeof value === "number" ? pyFloat(value) : (value as PyValue);
  }
  return pyJsonDumps(obj);
}
