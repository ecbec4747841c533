/**
 * One txt2img or img2img job on a loaded model, with A1111's semantics (processing.py `process_images_inner`):
 * per n_iter batch, per-image RNG streams, conditioning schedules, the sampler over its sigma plan, VAE decode to
 * 8-bit RGB, and one image file per sample with its infotext. Progress is reported after every sampler step;
 * interrupt and skip stop sampling and decode the last denoised latent, as A1111 does.
 */
import { invalidField } from "../../errors.ts";
import { generationInfo } from "../../generation/info.ts";
import { imageInfotext, type ModelIdentity } from "../../generation/infotext.ts";
import { planGeneration, type GenerationPlan } from "../../generation/plan.ts";
import { encodeImage } from "../../images/encode.ts";
import type { GenerationHooks, GenerationJob, GenerationOutput } from "../../inference/backend.ts";
import { pyFloat, type PyValue } from "../../infotext/python-format.ts";
import type { Img2ImgRequest } from "../../schemas/generation.ts";
import type { DiffusionModel } from "../model/index.ts";
import { parseExtraNetworks } from "../prompts/extra-networks.ts";
import { ImageRNG } from "../rng/image-rng.ts";
import { SAMPLER_FUNCTIONS, totalSteps } from "../samplers/index.ts";
import { lcmBoundaryScalings } from "../schedules/lcm-sigmas.ts";
import type { ModelSigmas } from "../schedules/model-sigmas.ts";
import { img2imgPlan, txt2imgPlan, type SamplingPlan } from "../schedules/plan.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { createCfgDenoiser } from "./cfg-denoiser.ts";
import { buildConditioning } from "./conditioning.ts";
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
  if ("enable_hr" in r && r.enable_hr) throw invalidField(["enable_hr"], "hires fix is not available in Serena yet; generate, then img2img");
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
  const [h, w] = [plan.outputHeight / 8, plan.outputWidth / 8];
  const latentShape = [channels, h, w] as const;
  const perImage = channels * h * w;
  const noiseMultiplier = img2img ? (img2img.initial_noise_multiplier ?? o.initial_noise_multiplier) : 1;
  const extra = extraParams(plan, noiseMultiplier);
  const conditioner = new TextConditioner(model, tokenizer, { emphasis: o.emphasis, commaPaddingBacktrack: o.comma_padding_backtrack });
  const sampler = SAMPLER_FUNCTIONS[plan.sampler.sampler.name]!;
  const stepsForPrompts = totalSteps(plan.sampler.sampler, r.steps);
  const timings = { prepare: 0, sampling: 0, decoding: 0, encoding: 0 };
  let mark = performance.now();
  const lap = (phase: keyof typeof timings) => {
    const now = performance.now();
    timings[phase] += now - mark;
    mark = now;
  };
  const initLatents = img2img ? await encodeInitLatents(model, img2img, plan, o.img2img_background_color) : null;

  const images: Buffer[] = [];
  const infotexts: string[] = [];
  let interrupted = false;
  for (let n = 0; n < plan.nIter && !interrupted; n++) {
    const from = n * plan.batchSize;
    const to = from + plan.batchSize;
    const prompts = plan.prompts.slice(from, to).map((p) => parseExtraNetworks(p).prompt);
    const negatives = plan.negativePrompts.slice(from, to).map((p) => parseExtraNetworks(p).prompt);
    const rng = new ImageRNG({
      shape: latentShape,
      seeds: plan.seeds.slice(from, to),
      subseeds: plan.subseeds.slice(from, to),
      subseedStrength: r.subseed_strength,
      seedResizeFromH: r.seed_resize_from_h,
      seedResizeFromW: r.seed_resize_from_w,
      source: o.randn_source,
      etaNoiseSeedDelta: o.eta_noise_seed_delta,
    });
    const conditioning = await buildConditioning(conditioner, prompts, negatives, stepsForPrompts);
    const sp = samplingPlan(plan, sigmas);
    lap("prepare");
    const cfgDenoise = createCfgDenoiser({
      model,
      schedule: sp.schedule,
      latentShape,
      conditioning,
      cfgScale: r.cfg_scale,
      maxUnetBatch: settings.maxUnetBatch,
    });
    const denoise = plan.sampler.sampler.name === "LCM" ? withLcmBoundary(cfgDenoise, sp) : cfgDenoise;

    const noise = rng.first();
    const x = new Float32Array(noise.length);
    const noiseScale = sp.noiseScale * noiseMultiplier;
    for (let i = 0; i < x.length; i++) {
      x[i] = (initLatents ? initLatents[i % (perImage * plan.batchSize)]! * sp.initScale : 0) + noise[i]! * noiseScale;
    }

    let latents: Float32Array;
    let last: Float32Array = x;
    const steps = sp.sigmas.length - 1;
    try {
      const result = await sampler({
        denoise,
        x,
        sigmas: sp.sigmas,
        noise: () => rng.next(),
        eta: plan.eta,
        sNoise: r.s_noise ?? o.s_noise,
        sChurn: r.s_churn ?? o.s_churn,
        sTmin: r.s_tmin ?? o.s_tmin,
        sTmax: (r.s_tmax ?? o.s_tmax) || Infinity,
        onStep: (info) => {
          last = info.denoised;
          hooks.onProgress?.({ jobNo: n, jobCount: plan.nIter, samplingStep: info.i + 1, samplingSteps: steps });
          const control = hooks.control?.();
          if (control) throw new StopSampling(control);
        },
      });
      latents = sp.outputScale === 1 ? result : result.map((v) => v * sp.outputScale);
    } catch (error) {
      if (!(error instanceof StopSampling)) explainShapeFailure(error, plan);
      latents = last;
      if (error.kind === "interrupt") interrupted = true;
    }

    lap("sampling");
    const scaled = latents.map((v) => v / model.facts.vaeScalingFactor);
    const pixels = await model.decodeLatents(scaled, [plan.batchSize, channels, h, w]);
    const rgb = Array.from({ length: plan.batchSize }, (_, i) => tensorToRgb(pixels, i, plan.outputWidth, plan.outputHeight));
    lap("decoding");
    for (let i = 0; i < plan.batchSize; i++) {
      const index = from + i;
      const infotext = imageInfotext(plan, index, identity, extra);
      infotexts.push(infotext);
      images.push(
        await encodeImage(
          { data: rgb[i]!, width: plan.outputWidth, height: plan.outputHeight, channels: 3 },
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

