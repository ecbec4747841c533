/**
 * Hires fix as A1111 plans it (processing.py `StableDiffusionProcessingTxt2Img.init` and `sample_hr_pass`): the
 * first pass at width × height, then the result upscaled — in latent space or as an image — to hr_scale or
 * hr_resize_x/y (cropped to the target's aspect), and refined by an img2img pass of hr_second_pass_steps (or steps)
 * at denoising_strength, always with img2img_fix_steps' arithmetic. Shared by the CI fake (for its output size and
 * infotext) and the engine.
 */
import type { HiresUpscaler, SamplingSpec } from "../../engine/plan.ts";
import { findSampler } from "../../engine/samplers/registry.ts";
import { effectiveScheduler } from "../../engine/schedules/index.ts";
import type { SchedulerDefinition } from "../../engine/schedules/registry.ts";
import { findLatentUpscaleMode, findUpscaler } from "../../engine/upscalers.ts";
import { pyFloat, type PyValue } from "../infotext/python-format.ts";
import { resolveSampler, type ResolvedSampler } from "../sampler-names.ts";
import type { Txt2ImgRequest } from "../schemas/generation.ts";
import type { Options } from "../schemas/options.ts";
import { passSettings } from "./sampling.ts";

/** A1111 leaves a null denoising_strength to crash the hires pass (docs/a1111-semantics.md §10); Serena uses its UI default. */
export const DEFAULT_HIRES_DENOISING = 0.7;

export interface HiresPlan {
  /** The upscaled size, a multiple of 8, before the crop to the target aspect. */
  upscaleWidth: number;
  upscaleHeight: number;
  /** Latent rows/columns cut off after upscaling (A1111 `truncate_x`/`truncate_y`), halves on either side. */
  truncateX: number;
  truncateY: number;
  /** The final image size. */
  width: number;
  height: number;
  steps: number;
  denoisingStrength: number;
  /** A latent upscale mode (torch interpolate) or an image upscaler. */
  upscaler: HiresUpscaler;
  sampler: ResolvedSampler;
  schedule: SchedulerDefinition;
  /** The second pass's settings, as the engine takes them. */
  sampling: SamplingSpec;
  prompt: string;
  negativePrompt: string;
  /** Infotext entries, in A1111's insertion order. */
  extra: Record<string, PyValue>;
}

/** The upscaled size and crop of `hr_resize_x/y` (A1111 `init`), or the `hr_scale` size. */
export function hiresTarget(r: Pick<Txt2ImgRequest, "width" | "height" | "hr_scale" | "hr_resize_x" | "hr_resize_y">) {
  const { width, height } = r;
  if (r.hr_resize_x === 0 && r.hr_resize_y === 0) {
    const w = Math.trunc(width * r.hr_scale);
    const h = Math.trunc(height * r.hr_scale);
    return { upscaleWidth: w, upscaleHeight: h, truncateX: 0, truncateY: 0 };
  }
  if (r.hr_resize_y === 0) return { upscaleWidth: r.hr_resize_x, upscaleHeight: Math.floor((r.hr_resize_x * height) / width), truncateX: 0, truncateY: 0 };
  if (r.hr_resize_x === 0) return { upscaleWidth: Math.floor((r.hr_resize_y * width) / height), upscaleHeight: r.hr_resize_y, truncateX: 0, truncateY: 0 };
  const [tw, th] = [r.hr_resize_x, r.hr_resize_y];
  const [w, h] = width / height < tw / th ? [tw, Math.floor((tw * height) / width)] : [Math.floor((th * width) / height), th];
  return { upscaleWidth: w, upscaleHeight: h, truncateX: Math.floor((w - tw) / 8), truncateY: Math.floor((h - th) / 8) };
}

export function planHires(r: Txt2ImgRequest, firstPass: ResolvedSampler, options: Options): HiresPlan {
  const target = hiresTarget(r);
  const upscaleWidth = Math.floor(target.upscaleWidth / 8) * 8;
  const upscaleHeight = Math.floor(target.upscaleHeight / 8) * 8;
  const latent = findLatentUpscaleMode(r.hr_upscaler ?? "Latent");
  const image = latent ? undefined : findUpscaler(r.hr_upscaler!);
  const samplerName = r.hr_sampler_name && findSampler(r.hr_sampler_name) ? r.hr_sampler_name : firstPass.sampler.name;
  const resolved = resolveSampler(samplerName, r.hr_scheduler ?? firstPass.scheduler.name);
  const sampler = "error" in resolved ? firstPass : resolved;
  const extra: Record<string, PyValue> = {};
  if (r.hr_prompt && r.hr_prompt !== r.prompt) extra["Hires prompt"] = r.hr_prompt;
  if (r.hr_negative_prompt && r.hr_negative_prompt !== r.negative_prompt) extra["Hires negative prompt"] = r.hr_negative_prompt;
  if (r.hr_scheduler) extra["Hires schedule type"] = sampler.scheduler.label;
  if (r.hr_resize_x === 0 && r.hr_resize_y === 0) extra["Hires upscale"] = pyFloat(r.hr_scale);
  else extra["Hires resize"] = `${r.hr_resize_x}x${r.hr_resize_y}`;
  if (r.hr_second_pass_steps) extra["Hires steps"] = r.hr_second_pass_steps;
  if (r.hr_upscaler) extra["Hires upscaler"] = r.hr_upscaler;
  if (r.hr_sampler_name && sampler.sampler.name !== firstPass.sampler.name) extra["Hires sampler"] = sampler.sampler.name;
  const steps = r.hr_second_pass_steps || r.steps;
  const schedule = effectiveScheduler(sampler.sampler, sampler.scheduler);
  return {
    upscaleWidth,
    upscaleHeight,
    truncateX: target.truncateX,
    truncateY: target.truncateY,
    width: upscaleWidth - 8 * target.truncateX,
    height: upscaleHeight - 8 * target.truncateY,
    steps,
    denoisingStrength: r.denoising_strength ?? DEFAULT_HIRES_DENOISING,
    upscaler: latent ? { kind: "latent", mode: latent.mode, antialias: latent.antialias } : { kind: "image", name: image!.name },
    sampler,
    schedule,
    sampling: passSettings(sampler.sampler, schedule.name, steps, r, options).spec,
    prompt: r.hr_prompt || r.prompt,
    negativePrompt: r.hr_negative_prompt || r.negative_prompt,
    extra,
  };
}
