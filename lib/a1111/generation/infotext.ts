/** The infotext of one generated image, with A1111's key order and conditions (docs/a1111-semantics.md). */
import type { ModelIdentity } from "../../engine/plan.ts";
import { createInfotext } from "../infotext/create.ts";
import { pyFloat, type PyValue } from "../infotext/python-format.ts";
import type { RequestPlan } from "./plan.ts";

export type { ModelIdentity };

export const SERENA_VERSION = "serena-v0.1.0";

export function imageInfotext(
  plan: RequestPlan,
  index: number,
  model: ModelIdentity,
  extra: Record<string, PyValue>,
): string {
  const { request: r, options: o } = plan;
  const variation = r.subseed_strength !== 0;
  const denoising = plan.hires?.denoisingStrength ?? (plan.type === "img2img" ? r.denoising_strength : null);
  const ensd =
    o.eta_noise_seed_delta !== 0 && plan.sampler.sampler.usesEnsd && plan.eta !== 0 ? o.eta_noise_seed_delta : null;
  const entries: Array<[string, PyValue | undefined]> = [
    ["Steps", r.steps],
    ["Sampler", plan.sampler.sampler.name],
    ["Schedule type", plan.scheduleType],
    ["CFG scale", pyFloat(r.cfg_scale)],
    ["Seed", plan.seeds[index]],
    ["Size", `${r.width}x${r.height}`],
    ["Model hash", o.add_model_hash_to_info ? model.hash : null],
    ["Model", o.add_model_name_to_info ? model.name : null],
    ["Variation seed", variation ? plan.subseeds[index] : null],
    ["Variation seed strength", variation ? pyFloat(r.subseed_strength) : null],
    ["Seed resize from", r.seed_resize_from_w > 0 && r.seed_resize_from_h > 0 ? `${r.seed_resize_from_w}x${r.seed_resize_from_h}` : null],
    ["Denoising strength", denoising === null ? null : pyFloat(denoising)],
    ["Conditional mask weight", null],
    ["Clip skip", o.CLIP_stop_at_last_layers > 1 ? o.CLIP_stop_at_last_layers : null],
    ["ENSD", ensd],
    ["RNG", o.randn_source !== "GPU" ? o.randn_source : null],
  ];
  for (const [key, value] of Object.entries({ ...plan.hires?.extra, ...extra })) {
    const at = entries.findIndex(([k]) => k === key);
    if (at >= 0) entries[at] = [key, value];
    else entries.push([key, value]);
  }
  entries.push(["Version", o.add_version_to_infotext ? SERENA_VERSION : null]);
  return createInfotext(plan.prompts[index] ?? "", plan.negativePrompts[index] ?? "", entries);
}
