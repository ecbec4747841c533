/**
 * One txt2img or img2img job on a loaded model, with A1111's semantics (processing.py `process_images_inner`):
 * per n_iter batch, per-image RNG streams, conditioning schedules, the sampler over its sigma plan, VAE decode to
 * 8-bit RGB, and one image file per sample with its infotext. Progress is reported after every sampler step;
 * interrupt and skip stop sampling and decode the last denoised latent, as A1111 does.
 */
import { invalidField } from "../../a1111/errors.ts";
import { generationInfo } from "../../a1111/generation/info.ts";
import { imageInfotext, type ModelIdentity } from "../../a1111/generation/infotext.ts";
import { planGeneration, type GenerationPlan } from "../../a1111/generation/plan.ts";
import { encodeImage } from "../../a1111/images/encode.ts";
import type { GenerationHooks, GenerationJob, GenerationOutput } from "../../platform/inference/backend.ts";
import { pyFloat, type PyValue } from "../../a1111/infotext/python-format.ts";
import type { Img2ImgRequest } from "../../a1111/schemas/generation.ts";
import type { SamplerEntry } from "../samplers/registry.ts";
import type { DiffusionModel, Shape3, Shape4 } from "../model/index.ts";
import { parseExtraNetworks } from "../prompts/extra-networks.ts";
import { ImageRNG } from "../rng/image-rng.ts";
import { SAMPLER_FUNCTIONS, totalSteps } from "../samplers/index.ts";
import { lcmBoundaryScalings } from "../schedules/lcm-sigmas.ts";
import type { ModelSigmas } from "../schedules/model-sigmas.ts";
import { img2imgPlan, txt2imgPlan, type SamplingPlan } from "../schedules/plan.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { createCfgDenoiser } from "./cfg-denoiser.ts";
import { buildConditioning, type ImageConditioning } from "./conditioning.ts";
import { upscaleForHires } from "./hires-upscale.ts";
import { encodeInitLatents } from "./init-latents.ts";
import { tensorToRgb } from "./pixels.ts";
import { TextConditioner } from "./text-conditioner.ts";

export interface LoadedModel {
  readonly model: DiffusionModel;
  readonly tokenizer: ClipTokenizer;
  readonly sigmas: ModelSigmas;
  readonly identity: ModelIdentity;
}

export interface GenerationSettings {
  /** Largest UNet batch run at once. */
  readonly maxUnetBatch: number;
}

class StopSampling extends Error {
  readonly kind: "interrupt" | "skip";
  constructor(kind: "interrupt" | "skip") {
    super(kind);
    this.kind = kind;
  }
}

/** Features A1111 has that this engine does not run: refused with 422 rather than silently ignored. */
function refuseUnsupported(plan: GenerationPlan, model: DiffusionModel): void {
  const r = plan.request;
  if (r.restore_faces) throw invalidField(["restore_faces"], "face restoration is not available in Serena");
  if (r.tiling) throw invalidField(["tiling"], "tiling needs circular convolution padding, which ONNX exports do not have");
  if ("mask" in r && r.mask) throw invalidField(["mask"], "inpainting (mask) is not available in Serena yet");
  if (r.refiner_checkpoint) throw invalidField(["refiner_checkpoint"], "refiner models are not available in Serena");
  if (plan.options.CLIP_stop_at_last_layers > 1) {
    throw invalidField(
      ["override_settings", "CLIP_stop_at_last_layers"],
      `clip skip ${plan.options.CLIP_stop_at_last_layers} needs the text encoder's hidden states; ONNX exports of ${model.facts.name}'s kind only output the last layer`,
    );
  }
}

function extraParams(plan: GenerationPlan, noiseMultiplier: number): Record<string, PyValue> {
  const { sampler } = plan.sampler;
  const o = plan.options;
  const extra: Record<string, PyValue> = {};
  if (sampler.usesEta && sampler.family === "k-diffusion" && plan.eta !== 1) extra["Eta"] = pyFloat(plan.eta);
  if (sampler.usesEta && sampler.family === "timesteps" && plan.eta !== 0) extra["Eta DDIM"] = pyFloat(plan.eta);
  if (o.always_discard_next_to_last_sigma && !sampler.discardPenultimateSigma) extra["Discard penultimate sigma"] = true;
  if (o.sigma_min) extra["Schedule min sigma"] = pyFloat(o.sigma_min);
  if (o.sigma_max) extra["Schedule max sigma"] = pyFloat(o.sigma_max);
  if (o.rho) extra["Schedule rho"] = pyFloat(o.rho);
  if (plan.type === "img2img" && noiseMultiplier !== 1) extra["Noise multiplier"] = pyFloat(noiseMultiplier);
  const prompt = plan.request.prompt + plan.request.negative_prompt;
  if (o.emphasis !== "Original" && /[([]/.test(prompt)) extra["Emphasis"] = o.emphasis;
  return extra;
}

function samplingPlan(plan: GenerationPlan, sigmas: ModelSigmas): SamplingPlan {
  const r = plan.request;
  const o = plan.options;
  const entry = plan.sampler.sampler;
  const request = {
    sampler: o.always_discard_next_to_last_sigma ? { ...entry, discardPenultimateSigma: true } : entry,
    scheduler: plan.schedule.name,
    steps: r.steps,
    model: sigmas,
    rho: o.rho,
    sigmaMin: o.sigma_min,
    sigmaMax: o.sigma_max,
  };
  if (plan.type === "txt2img") return txt2imgPlan(request);
  return img2imgPlan({ ...request, denoisingStrength: r.denoising_strength ?? 0.75, fixSteps: o.img2img_fix_steps });
}

/** UNet exports traced at 64×64 latents may reject sizes that are not multiples of 64 pixels (engine-notes §1.2). */
function explainShapeFailure(error: unknown, plan: GenerationPlan): never {
  const { outputWidth: w, outputHeight: h } = plan;
  if ((w % 64 !== 0 || h % 64 !== 0) && error instanceof Error && !(error instanceof StopSampling)) {
    throw invalidField(["width"], `this model could not sample ${w}x${h}: use a width and height that are multiples of 64 (${error.message})`);
  }
  throw error;
}

interface PassInput {
  readonly sampler: SamplerEntry;
  readonly sp: SamplingPlan;
  readonly latentShape: Shape3;
  readonly conditioning: ImageConditioning[];
  /** The start latent: noise, or an init latent noised to the plan's first σ. */
  readonly x: Float32Array;
  readonly rng: ImageRNG;
  readonly eta: number;
  /** Progress: which pass of how many (n_iter batches, two passes each with hires fix). */
  readonly jobNo: number;
  readonly jobCount: number;
}

/** Start latent = init·initScale + noise·noiseScale (schedules/plan.ts). */
function startLatent(sp: SamplingPlan, noise: Float32Array, init: Float32Array | null, noiseMultiplier: number): Float32Array {
  const x = new Float32Array(noise.length);
  const noiseScale = sp.noiseScale * noiseMultiplier;
  for (let i = 0; i < x.length; i++) x[i] = (init ? init[i % init.length]! * sp.initScale : 0) + noise[i]! * noiseScale;
  return x;
}

/** Crops A1111's `truncate_x`/`truncate_y` latent columns/rows, half on each side (`sample_hr_pass`). */
function truncateLatents(latents: Float32Array, shape: Shape4, truncateX: number, truncateY: number): { latents: Float32Array; shape: Shape4 } {
  if (truncateX === 0 && truncateY === 0) return { latents, shape };
  const [b, c, h, w] = shape;
  const [top, left] = [Math.floor(truncateY / 2), Math.floor(truncateX / 2)];
  const [h2, w2] = [h - truncateY, w - truncateX];
  const out = new Float32Array(b * c * h2 * w2);
  for (let plane = 0; plane < b * c; plane++) {
    for (let y = 0; y < h2; y++) {
      const from = plane * h * w + (y + top) * w + left;
      out.set(latents.subarray(from, from + w2), plane * h2 * w2 + y * w2);
    }
  }
  return { latents: out, shape: [b, c, h2, w2] };
}

export async function runGeneration(
  loaded: LoadedModel,
  job: GenerationJob,
  hooks: GenerationHooks,
  settings: GenerationSettings,
): Promise<GenerationOutput> {
  const { model, tokenizer, sigmas, identity } = loaded;
  const r = job.request;
  const o = job.options;
  const img2img = job.type === "img2img" ? (r as Img2ImgRequest) : null;
  const plan = planGeneration(job);
  refuseUnsupported(plan, model);

  const channels = model.facts.latentChannels;
  const latentShape: Shape3 = [channels, plan.baseHeight / 8, plan.baseWidth / 8];
  const noiseMultiplier = img2img ? (img2img.initial_noise_multiplier ?? o.initial_noise_multiplier) : 1;
  const extra = extraParams(plan, noiseMultiplier);
  const conditioner = new TextConditioner(model, tokenizer, { emphasis: o.emphasis, commaPaddingBacktrack: o.comma_padding_backtrack });
  const passes = plan.hires ? 2 : 1;
  const timings = { prepare: 0, sampling: 0, decoding: 0, encoding: 0 };
  let mark = performance.now();
  const lap = (phase: keyof typeof timings) => {
    const now = performance.now();
    timings[phase] += now - mark;
    mark = now;
  };
  const initLatents = img2img ? await encodeInitLatents(model, img2img, plan, o.img2img_background_color) : null;

  const samplePass = async (pass: PassInput): Promise<{ latents: Float32Array; stopped: "interrupt" | "skip" | null }> => {
    const { sp } = pass;
    const cfgDenoise = createCfgDenoiser({
      model,
      schedule: sp.schedule,
      latentShape: pass.latentShape,
      conditioning: pass.conditioning,
      cfgScale: r.cfg_scale,
      maxUnetBatch: settings.maxUnetBatch,
    });
    const denoise = pass.sampler.name === "LCM" ? withLcmBoundary(cfgDenoise, sp) : cfgDenoise;
    const steps = sp.sigmas.length - 1;
    let last: Float32Array = pass.x;
    try {
      const result = await SAMPLER_FUNCTIONS[pass.sampler.name]!({
        denoise,
        x: pass.x,
        sigmas: sp.sigmas,
        noise: () => pass.rng.next(),
        eta: pass.eta,
        sNoise: r.s_noise ?? o.s_noise,
        sChurn: r.s_churn ?? o.s_churn,
        sTmin: r.s_tmin ?? o.s_tmin,
        sTmax: (r.s_tmax ?? o.s_tmax) || Infinity,
        onStep: (info) => {
          last = info.denoised;
          hooks.onProgress?.({ jobNo: pass.jobNo, jobCount: pass.jobCount, samplingStep: info.i + 1, samplingSteps: steps });
          const control = hooks.control?.();
          if (control) throw new StopSampling(control);
        },
      });
      return { latents: sp.outputScale === 1 ? result : result.map((v) => v * sp.outputScale), stopped: null };
    } catch (error) {
      if (!(error instanceof StopSampling)) explainShapeFailure(error, plan);
      return { latents: last, stopped: error.kind };
    }
  };

  const images: Buffer[] = [];
  const infotexts: string[] = [];
  let interrupted = false;
  for (let n = 0; n < plan.nIter && !interrupted; n++) {
    const from = n * plan.batchSize;
    const to = from + plan.batchSize;
    const rngFor = (shape: Shape3) =>
      new ImageRNG({
        shape,
        seeds: plan.seeds.slice(from, to),
        subseeds: plan.subseeds.slice(from, to),
        subseedStrength: r.subseed_strength,
        seedResizeFromH: r.seed_resize_from_h,
        seedResizeFromW: r.seed_resize_from_w,
        source: o.randn_source,
        etaNoiseSeedDelta: o.eta_noise_seed_delta,
      });
    const cleaned = (texts: string[]) => texts.slice(from, to).map((p) => parseExtraNetworks(p).prompt);
    const stepsForPrompts = totalSteps(plan.sampler.sampler, r.steps);
    const conditioning = await buildConditioning(conditioner, cleaned(plan.prompts), cleaned(plan.negativePrompts), stepsForPrompts);
    const sp = samplingPlan(plan, sigmas);
    const rng = rngFor(latentShape);
    lap("prepare");
    const first = await samplePass({
      sampler: plan.sampler.sampler,
      sp,
      latentShape,
      conditioning,
      x: startLatent(sp, rng.first(), initLatents, noiseMultiplier),
      rng,
      eta: plan.eta,
      jobNo: n * passes,
      jobCount: plan.nIter * passes,
    });
    let latents = first.latents;
    let shape: Shape4 = [plan.batchSize, ...latentShape];
    if (first.stopped === "interrupt") interrupted = true;

    if (plan.hires && !first.stopped) {
      const hires = plan.hires;
      const upscaled = await upscaleForHires(model, latents, shape, hires);
      ({ latents, shape } = truncateLatents(upscaled.latents, upscaled.shape, hires.truncateX, hires.truncateY));
      const hiresShape: Shape3 = [shape[1], shape[2], shape[3]];
      const hiresPrompts = Array.from({ length: plan.imageCount }, () => hires.prompt);
      const hiresNegatives = Array.from({ length: plan.imageCount }, () => hires.negativePrompt);
      const hiresConditioning = await buildConditioning(
        conditioner,
        cleaned(hiresPrompts),
        cleaned(hiresNegatives),
        stepsForPrompts,
        totalSteps(hires.sampler.sampler, hires.steps),
      );
      const hiresSp = img2imgPlan({
        sampler: hires.sampler.sampler,
        scheduler: hires.schedule.name,
        steps: hires.steps,
        model: sigmas,
        rho: o.rho,
        sigmaMin: o.sigma_min,
        sigmaMax: o.sigma_max,
        denoisingStrength: hires.denoisingStrength,
        fixSteps: true,
      });
      // A1111 makes fresh generators at the upscaled shape for the second pass (`sample_hr_pass`).
      const hiresRng = rngFor(hiresShape);
      lap("prepare");
      const second = await samplePass({
        sampler: hires.sampler.sampler,
        sp: hiresSp,
        latentShape: hiresShape,
        conditioning: hiresConditioning,
        x: startLatent(hiresSp, hiresRng.first(), latents, 1),
        rng: hiresRng,
        eta: plan.eta,
        jobNo: n * passes + 1,
        jobCount: plan.nIter * passes,
      });
      latents = second.latents;
      if (second.stopped === "interrupt") interrupted = true;
    }

    lap("sampling");
    const [, , lh, lw] = shape;
    const scaled = latents.map((v) => v / model.facts.vaeScalingFactor);
    const pixels = await model.decodeLatents(scaled, shape);
    const [width, height] = [lw * 8, lh * 8];
    const rgb = Array.from({ length: plan.batchSize }, (_, i) => tensorToRgb(pixels, i, width, height));
    lap("decoding");
    for (let i = 0; i < plan.batchSize; i++) {
      const infotext = imageInfotext(plan, from + i, identity, extra);
      infotexts.push(infotext);
      images.push(
        await encodeImage(
          { data: rgb[i]!, width, height, channels: 3 },
          {
            format: o.samples_format,
            quality: o.jpeg_quality,
            webpLossless: o.webp_lossless,
            text: o.enable_pnginfo ? { parameters: infotext } : {},
          },
        ),
      );
    }
    lap("encoding");
  }
  const info = generationInfo(plan, identity, infotexts, extra);
  // Interrupted jobs return the images made so far; info lists the seeds of those images only.
  const made = { all_seeds: info.all_seeds.slice(0, images.length), all_subseeds: info.all_subseeds.slice(0, images.length) };
  return { images, info: { ...info, ...made }, timings };
}

/**
 * LCM's consistency boundary condition (A1111 `LCMCompVisDenoiser`): cOut·D + cSkip·x at the snapped timestep. A1111
 * applies it per UNet evaluation, before guidance; guidance is linear in D, so applying it after gives the same.
 */
function withLcmBoundary(denoise: (x: Float32Array, sigma: number) => Promise<Float32Array>, sp: SamplingPlan) {
  return async (x: Float32Array, sigma: number) => {
    const d = await denoise(x, sigma);
    const { cSkip, cOut } = lcmBoundaryScalings(sp.schedule.sigmaToT(sigma));
    for (let i = 0; i < d.length; i++) d[i] = cOut * d[i]! + cSkip * x[i]!;
    return d;
  };
}

