/**
 * One generation plan on a loaded model, with A1111's semantics (processing.py `process_images_inner`): per batch,
 * per-image RNG streams, conditioning schedules, the sampler over its sigma plan (and hires fix's second pass), VAE
 * decode to 8-bit RGB. Progress is reported after every sampler step; interrupt and skip stop sampling and decode
 * the last denoised latent, as A1111 does.
 */
import { PlanError } from "../errors.ts";
import type { DiffusionModel, Shape3, Shape4 } from "../model/index.ts";
import type { GenerationHooks, GenerationPlan, GenerationResult, GenerationTimings, ModelIdentity, RgbImage, SamplingEvents, SamplingSpec } from "../plan.ts";
import { ImageRNG } from "../rng/image-rng.ts";
import { samplerNamed, totalSteps, type SamplerDefinition } from "../samplers/registry.ts";
import type { ModelSigmas } from "../schedules/model-sigmas.ts";
import { img2imgPlan, txt2imgPlan, type SamplingPlan } from "../schedules/plan.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { applyBlend, createCfgDenoiser, type CfgDenoiserSetup, type UncondSkipping } from "./cfg-denoiser.ts";
import { switchingDenoiser, type PassRefiner } from "./refiner.ts";
import { buildConditioning, type ImageConditioning } from "./conditioning.ts";
import { upscaleForHires } from "./hires-upscale.ts";
import { checkImg2Img, maskedEverywhereConditioning, overlayResult, prepareImg2Img, type Img2ImgSetup } from "./img2img-setup.ts";
import { tensorToRgb } from "./pixels.ts";
import { passModels, sameLoras, type TextConditioner } from "./text-conditioner.ts";

export interface LoadedModel {
  readonly model: DiffusionModel;
  readonly tokenizer: ClipTokenizer;
  /** SDXL's tokenizer_2 (text_encoder_2's own, padding with "!"); null for SD 1.x/2.x. */
  readonly tokenizer2?: ClipTokenizer | null;
  readonly sigmas: ModelSigmas;
  readonly identity: ModelIdentity;
}

export interface GenerationSettings {
  /** Largest UNet batch run at once. */
  readonly maxUnetBatch: number;
  /** Opens another model folder (a refiner, plan.refiner); without it a plan with a refiner is refused. */
  readonly loadModel?: (dir: string) => Promise<LoadedModel>;
}

class StopSampling extends Error {
  readonly kind: "interrupt" | "skip";
  constructor(kind: "interrupt" | "skip") {
    super(kind);
    this.kind = kind;
  }
}

/** What the loaded model cannot do, found before any work. */
function checkPlan(plan: GenerationPlan, model: DiffusionModel): void {
  const inpaintingUnet = model.facts.unetInChannels !== model.facts.latentChannels;
  if ((plan.img2img || inpaintingUnet) && model.facts.vaeEncoderOutput === null) {
    const what = plan.img2img ? "img2img" : "an inpainting model's conditioning";
    throw new PlanError("img2img.images", `${model.facts.name} has no VAE encoder (vae_encoder/model.onnx), so it cannot run ${what}`);
  }
  if (plan.img2img) checkImg2Img(plan.img2img, plan.width, plan.height);
  if (inpaintingUnet && plan.hires && plan.inpaintingMaskWeight < 1) {
    throw new PlanError("hires", "hires fix on an inpainting model with inpainting_mask_weight below 1 is not supported");
  }
}

/** UNet exports traced at 64×64 latents may reject sizes that are not multiples of 64 pixels (docs/engine.md). */
function explainShapeFailure(error: unknown, width: number, height: number): never {
  if ((width % 64 !== 0 || height % 64 !== 0) && error instanceof Error && !(error instanceof StopSampling)) {
    throw new PlanError("size", `this model could not sample ${width}x${height}: use a width and height that are multiples of 64 (${error.message})`, {
      cause: error,
    });
  }
  throw error;
}

function samplingPlan(spec: SamplingSpec, sampler: SamplerDefinition, sigmas: ModelSigmas, img2img: { denoisingStrength: number; fixSteps: boolean } | null): SamplingPlan {
  const request = {
    sampler,
    scheduler: spec.scheduler,
    steps: spec.steps,
    model: sigmas,
    rho: spec.rho,
    sigmaMin: spec.sigmaMin,
    sigmaMax: spec.sigmaMax,
    betaAlpha: spec.betaAlpha,
    betaBeta: spec.betaBeta,
    alwaysDiscardPenultimate: spec.alwaysDiscardPenultimate,
    settings: spec.settings,
  };
  return img2img ? img2imgPlan({ ...request, ...img2img }) : txt2imgPlan(request);
}

interface PassInput {
  /** The UNet the pass runs (with the pass's LoRAs merged). */
  readonly unet: DiffusionModel;
  readonly spec: SamplingSpec;
  readonly sp: SamplingPlan;
  readonly latentShape: Shape3;
  readonly conditioning: ImageConditioning[];
  /** The start latent: noise, or an init latent noised to the plan's first σ. */
  readonly x: Float32Array;
  readonly rng: ImageRNG;
  /** Inpainting UNets' extra input channels, [B, 1 + C, h, w]. */
  readonly imageConditioning: Float32Array | null;
  /** Inpainting's blend of the denoised latent with the init latent. */
  readonly blend: { readonly nmask: Float32Array; readonly init: Float32Array } | null;
  /** Progress: which pass of how many (batches, two passes each with hires fix). */
  readonly jobNo: number;
  readonly jobCount: number;
  /** The refiner that may take over this pass, or null. */
  readonly refiner: PassRefiner | null;
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
  plan: GenerationPlan,
  hooks: GenerationHooks,
  settings: GenerationSettings,
): Promise<GenerationResult> {
  const { model, tokenizer, sigmas } = loaded;
  checkPlan(plan, model);
  const sampler = samplerNamed(plan.sampling.sampler);
  const channels = model.facts.latentChannels;
  const latentShape: Shape3 = [channels, plan.height / 8, plan.width / 8];
  const textOptions = {
    emphasis: plan.text.emphasis,
    commaPaddingBacktrack: plan.text.commaPaddingBacktrack,
    clipSkip: plan.text.clipSkip,
    ...(plan.text.sdxl === undefined ? {} : { sdxl: plan.text.sdxl }),
  };
  const tokenizer2 = loaded.tokenizer2 ?? null;
  // The first pass's LoRAs merged into the text encoder and the UNet (A1111 activates the prompt's networks).
  const firstPass = await passModels(model, tokenizer, textOptions, plan.loras, tokenizer2);
  const conditioner = firstPass.conditioner;
  const passes = plan.hires ? 2 : 1;
  const timings: GenerationTimings = { prepare: 0, sampling: 0, decoding: 0, encoding: 0 };
  const inpaintingUnet = model.facts.unetInChannels !== model.facts.latentChannels;
  const events: SamplingEvents = { ngms: false, skipEarlyCond: false, inpaintingConditioning: inpaintingUnet, blankMask: false };
  let mark = performance.now();
  const lap = (phase: keyof GenerationTimings) => {
    const now = performance.now();
    timings[phase] += now - mark;
    mark = now;
  };
  const img2img = plan.img2img;
  const setup: Img2ImgSetup | null = img2img
    ? await prepareImg2Img(model, img2img, {
        width: plan.width,
        height: plan.height,
        batchSize: plan.batchSize,
        firstSeeds: plan.seeds.slice(0, plan.batchSize),
        noiseSource: plan.noise.source,
        maskWeight: plan.inpaintingMaskWeight,
      })
    : null;
  if (setup?.blankMask) events.blankMask = true;
  const initLatents = setup?.initLatent ?? null;
  const blend = setup?.nmask ? { nmask: setup.nmask, init: setup.initLatent } : null;
  // txt2img on an inpainting UNet: the whole image masked over grey (A1111 `txt2img_image_conditioning`).
  const firstConditioning =
    setup?.imageConditioning ?? (inpaintingUnet ? await maskedEverywhereConditioning(model, [plan.batchSize, 3, plan.height, plan.width]) : null);

  const samplePass = async (pass: PassInput, passSampler: SamplerDefinition): Promise<{ latents: Float32Array; stopped: "interrupt" | "skip" | null }> => {
    const { sp, spec } = pass;
    const skipping: UncondSkipping = {
      sMinUncond: spec.sMinUncond,
      allSteps: spec.sMinUncondAllSteps,
      skipEarlyCond: spec.skipEarlyCond,
      totalCalls: totalSteps(passSampler, spec.steps),
      onSkip: (reason) => {
        events[reason] = true;
      },
    };
    const denoiserSetup: CfgDenoiserSetup = {
      model: pass.unet,
      schedule: sp.schedule,
      latentShape: pass.latentShape,
      conditioning: pass.conditioning,
      cfgScale: spec.cfgScale,
      maxUnetBatch: settings.maxUnetBatch,
      skipping,
      imageConditioning: pass.imageConditioning,
      blend: pass.blend,
    };
    const baseDenoise = createCfgDenoiser(denoiserSetup);
    const cfgDenoise = pass.refiner
      ? switchingDenoiser(
          baseDenoise,
          sigmas,
          pass.refiner,
          (unet, conditioning, firstCall) => createCfgDenoiser({ ...denoiserSetup, model: unet, conditioning, firstCall }),
          skipping.totalCalls,
        )
      : baseDenoise;
    const denoise = passSampler.wrapDenoiser ? passSampler.wrapDenoiser(cfgDenoise, sp.schedule) : cfgDenoise;
    const steps = sp.sigmas.length - 1;
    let last: Float32Array = pass.x;
    try {
      const result = await passSampler.run({
        denoise,
        x: pass.x,
        sigmas: sp.sigmas,
        noise: () => pass.rng.next(),
        settings: spec.settings,
        onStep: (info) => {
          last = info.denoised;
          hooks.onProgress?.({ jobNo: pass.jobNo, jobCount: pass.jobCount, samplingStep: info.i + 1, samplingSteps: steps });
          const control = hooks.control?.();
          if (control) throw new StopSampling(control);
        },
      });
      return { latents: sp.outputScale === 1 ? result : result.map((v) => v * sp.outputScale), stopped: null };
    } catch (error) {
      if (!(error instanceof StopSampling)) explainShapeFailure(error, plan.width, plan.height);
      return { latents: last, stopped: error.kind };
    }
  };

  const refinerSpec = plan.refiner ?? null;
  if (refinerSpec && !settings.loadModel) throw new PlanError("refiner", "this engine cannot load a refiner model");
  if (refinerSpec && (inpaintingUnet || plan.img2img?.inpaint)) throw new PlanError("refiner", "a refiner on inpainting is not supported");
  /**
   * The refiner for one pass: it loads (once; the engine keeps it), builds the pass's conds with the refiner's text
   * encoders, and takes over the denoiser from the switch point on. `state.switched` stays set for the rest of the
   * batch: A1111 keeps the refiner loaded until the next batch reloads the base model (processing.py
   * `process_images_inner`), so a later pass runs on it from its first call.
   */
  const passRefiner = (state: { switched: LoadedModel | null }, conds: (conditioner: TextConditioner) => Promise<ImageConditioning[]>) => {
    if (refinerSpec === null) return null;
    const refiner: PassRefiner = {
      switchAt: refinerSpec.switchAt,
      bySteps: refinerSpec.bySteps ?? false,
      already: state.switched !== null,
      prepare: async () => {
        const loadedRefiner = await settings.loadModel!(refinerSpec.modelDir);
        const refinerPass = await passModels(loadedRefiner.model, loadedRefiner.tokenizer, textOptions, [], loadedRefiner.tokenizer2 ?? null);
        state.switched = loadedRefiner;
        return { unet: refinerPass.unet, conditioning: await conds(refinerPass.conditioner) };
      },
      onSwitch: () => {
        events.refiner = state.switched!.identity;
      },
    };
    return refiner;
  };
  const refinerIn = (pass: "first pass" | "second pass") => refinerSpec !== null && (!plan.hires || refinerSpec.hiresPass === pass || refinerSpec.hiresPass === "both passes");

  const images: RgbImage[] = [];
  let interrupted = false;
  for (let n = 0; n < plan.batchCount && !interrupted; n++) {
    const refinerState: { switched: LoadedModel | null } = { switched: null };
    const from = n * plan.batchSize;
    const to = from + plan.batchSize;
    const rngFor = (shape: Shape3) =>
      new ImageRNG({
        shape,
        seeds: plan.seeds.slice(from, to),
        subseeds: plan.subseeds.slice(from, to),
        subseedStrength: plan.subseedStrength,
        seedResizeFromH: plan.seedResizeFrom?.height ?? -1,
        seedResizeFromW: plan.seedResizeFrom?.width ?? -1,
        source: plan.noise.source,
        etaNoiseSeedDelta: plan.noise.etaNoiseSeedDelta,
      });
    const stepsForPrompts = totalSteps(sampler, plan.sampling.steps);
    const conditioning = await buildConditioning(conditioner, plan.prompts.slice(from, to), plan.negativePrompts.slice(from, to), stepsForPrompts, undefined, {
      width: plan.width,
      height: plan.height,
    });
    const sp = samplingPlan(plan.sampling, sampler, sigmas, img2img);
    const rng = rngFor(latentShape);
    const firstPrompts = [plan.prompts.slice(from, to), plan.negativePrompts.slice(from, to)] as const;
    const firstRefiner = refinerIn("first pass")
      ? passRefiner(refinerState, (c) => buildConditioning(c, ...firstPrompts, stepsForPrompts, undefined, { width: plan.width, height: plan.height }))
      : null;
    lap("prepare");
    const first = await samplePass(
      {
        refiner: firstRefiner,
        unet: firstPass.unet,
        spec: plan.sampling,
        sp,
        latentShape,
        conditioning,
        x: startLatent(sp, rng.first(), initLatents, img2img?.noiseMultiplier ?? 1),
        rng,
        imageConditioning: firstConditioning,
        blend,
        jobNo: n * passes,
        jobCount: plan.batchCount * passes,
      },
      sampler,
    );
    let latents = first.latents;
    // A1111 `sample`: the sampler's result is blended with the init latent once more (interrupted or not).
    if (blend) applyBlend(latents, blend.nmask, blend.init);
    let shape: Shape4 = [plan.batchSize, ...latentShape];
    if (first.stopped === "interrupt") interrupted = true;

    if (plan.hires && !first.stopped) {
      const hires = plan.hires;
      const hiresSampler = samplerNamed(hires.sampling.sampler);
      const upscaled = await upscaleForHires(model, latents, shape, hires);
      ({ latents, shape } = truncateLatents(upscaled.latents, upscaled.shape, hires.truncateX, hires.truncateY));
      const hiresShape: Shape3 = [shape[1], shape[2], shape[3]];
      // A1111's hires pass activates the hires prompt's networks before building its conds (`sample_hr_pass`).
      const hiresPass = sameLoras(plan.loras, hires.loras) ? firstPass : await passModels(model, tokenizer, textOptions, hires.loras, tokenizer2);
      const hiresConditioning = await buildConditioning(
        hiresPass.conditioner,
        hires.prompts.slice(from, to),
        hires.negativePrompts.slice(from, to),
        stepsForPrompts,
        totalSteps(hiresSampler, hires.sampling.steps),
        { width: hires.upscaleWidth, height: hires.upscaleHeight },
      );
      // The hires pass is img2img with A1111's fixed-steps arithmetic, whatever opts.img2img_fix_steps says.
      const hiresSp = samplingPlan(hires.sampling, hiresSampler, sigmas, { denoisingStrength: hires.denoisingStrength, fixSteps: true });
      // A1111 makes fresh generators at the upscaled shape for the second pass (`sample_hr_pass`).
      const hiresRng = rngFor(hiresShape);
      const hiresRefiner =
        refinerIn("second pass") || refinerState.switched !== null
          ? passRefiner(
              refinerState,
              (c) =>
                buildConditioning(c, hires.prompts.slice(from, to), hires.negativePrompts.slice(from, to), stepsForPrompts, totalSteps(hiresSampler, hires.sampling.steps), {
                  width: hires.upscaleWidth,
                  height: hires.upscaleHeight,
                }),
            )
          : null;
      lap("prepare");
      const second = await samplePass(
        {
          refiner: hiresRefiner,
          unet: hiresPass.unet,
          spec: hires.sampling,
          sp: hiresSp,
          latentShape: hiresShape,
          conditioning: hiresConditioning,
          x: startLatent(hiresSp, hiresRng.first(), latents, 1),
          rng: hiresRng,
          imageConditioning: inpaintingUnet ? await maskedEverywhereConditioning(model, [plan.batchSize, 3, shape[2] * 8, shape[3] * 8]) : null,
          blend: null,
          jobNo: n * passes + 1,
          jobCount: plan.batchCount * passes,
        },
        hiresSampler,
      );
      latents = second.latents;
      if (second.stopped === "interrupt") interrupted = true;
    }

    lap("sampling");
    const [, , lh, lw] = shape;
    // After a switch A1111 decodes with the refiner's VAE (the loaded model's first stage).
    const decoder = refinerState.switched?.model ?? model;
    const scaled = latents.map((v) => v / decoder.facts.vaeScalingFactor);
    const pixels = await decoder.decodeLatents(scaled, shape);
    const [width, height] = [lw * 8, lh * 8];
    for (let i = 0; i < plan.batchSize; i++) {
      const rgb: RgbImage = { data: tensorToRgb(pixels, i, width, height), width, height };
      const overlay = img2img?.inpaint?.overlay ? setup?.overlays?.[i] : undefined;
      images.push(overlay ? overlayResult(rgb, overlay, setup!.pasteTo) : rgb);
    }
    lap("decoding");
  }
  // The first batch's first-pass conditioning is the conditioner's first two calls (negatives, then prompts).
  return { images, model: loaded.identity, timings, events, textualInversions: conditioner.embeddingCalls.slice(0, 2) };
}
