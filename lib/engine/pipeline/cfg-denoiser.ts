/**
 * D(x, σ) for a batch of images with classifier-free guidance (A1111 modules/sd_samplers_cfg_denoiser.py,
 * k-diffusion external.py): the UNet sees x·c_in at the fractional timestep t(σ); its ε (or v) output becomes a
 * denoised estimate; guidance combines in denoised space, D = D_u + Σ_j w_j·s·(D_c,j − D_u). Cond and uncond
 * evaluations of the same context length run as one UNet batch.
 *
 * Some calls skip the uncond pass, as A1111's `CFGDenoiser.forward` does: early in sampling
 * (opts.skip_early_cond) and, below σ = s_min_uncond ("negative guidance minimum sigma"), on every other call. The
 * first cond's output then stands in for the uncond one and the scale is 1, so one cond gives D = D_c.
 */
import type { AddedCondition, DiffusionModel, Shape3 } from "../model/index.ts";
import type { ModelSigmas } from "../schedules/model-sigmas.ts";
import type { ImageConditioning } from "./conditioning.ts";
import type { TextEmbedding } from "./text-conditioner.ts";

export interface CfgDenoiserSetup {
  readonly model: DiffusionModel;
  /** Maps σ to the UNet timestep. */
  readonly schedule: ModelSigmas;
  /** Per image: [C, h, w]. */
  readonly latentShape: Shape3;
  readonly conditioning: readonly ImageConditioning[];
  readonly cfgScale: number;
  /** Largest UNet batch to run at once (memory bound); a fixed-batch export overrides it. */
  readonly maxUnetBatch: number;
  readonly skipping?: UncondSkipping;
  /**
   * Inpainting UNets: per image [1 + C, h, w] concatenated after the scaled latent on the channel axis (A1111's
   * `c_concat`, the same for cond and uncond evaluations), as one [B, 1 + C, h, w] array.
   */
  readonly imageConditioning?: Float32Array | null;
  /**
   * Inpainting: after guidance, D = D·nmask + init·(1 − nmask) per latent pixel (A1111 `CFGDenoiser.forward`'s
   * `apply_blend` on the denoised latent); `nmask` is [h·w], `init` the [B, C, h, w] init latent.
   */
  readonly blend?: { readonly nmask: Float32Array; readonly init: Float32Array } | null;
  /** The model-call count to start from: a refiner taking over mid-pass carries on the base model's (refiner.ts). */
  readonly firstCall?: number;
}

/** When the uncond pass is skipped (A1111 opts.skip_early_cond, s_min_uncond and s_min_uncond_all). */
export interface UncondSkipping {
  readonly skipEarlyCond: number;
  readonly sMinUncond: number;
  readonly allSteps: boolean;
  /** Model calls the sampler will make (A1111 `total_steps`), for skip_early_cond's fraction. */
  readonly totalCalls: number;
  /** Told each time a call skips, and why. */
  readonly onSkip: (reason: "skipEarlyCond" | "ngms") => void;
}

/** Whether model call `call` at noise level σ skips the uncond pass (the order of A1111's checks). */
export function skipsUncond(skipping: UncondSkipping | undefined, call: number, sigma: number): boolean {
  if (!skipping) return false;
  if (skipping.skipEarlyCond !== 0 && call / skipping.totalCalls <= skipping.skipEarlyCond) {
    skipping.onSkip("skipEarlyCond");
    return true;
  }
  if ((call % 2 === 1 || skipping.allSteps) && skipping.sMinUncond > 0 && sigma < skipping.sMinUncond) {
    skipping.onSkip("ngms");
    return true;
  }
  return false;
}

interface Evaluation {
  readonly image: number;
  readonly embedding: TextEmbedding;
  /** Index into the cond parts of that image, or -1 for the uncond. */
  readonly part: number;
}

export interface CfgDenoiser {
  (x: Float32Array, sigma: number): Promise<Float32Array>;
  /** Model calls made so far; prompt-editing schedules are looked up by it (A1111 `CFGDenoiser.step`). */
  readonly calls: number;
}

export function createCfgDenoiser(setup: CfgDenoiserSetup): CfgDenoiser {
  const { model, schedule, latentShape, conditioning, cfgScale } = setup;
  const [channels, h, w] = latentShape;
  const perImage = channels * h * w;
  const imageConditioning = setup.imageConditioning ?? null;
  const conditioningPerImage = imageConditioning ? imageConditioning.length / (conditioning.length || 1) : 0;
  const inChannels = channels + conditioningPerImage / (h * w);
  const perInput = perImage + conditioningPerImage;
  const hidden = model.facts.textHiddenSize;
  const vPrediction = model.facts.predictionType === "v_prediction";
  const fixedBatch = model.facts.unetBatch === "dynamic" ? null : model.facts.unetBatch;
  const maxBatch = fixedBatch ?? Math.max(1, setup.maxUnetBatch);
  // A1111 drops the uncond pass at CFG scale 1 when every image has a single weight-1 cond.
  const neverUncond = cfgScale === 1 && conditioning.every((c) => c.cond.length === 1 && c.condWeights[0] === 1);
  let calls = setup.firstCall ?? 0;
  let xIn = new Float32Array(0);
  // Packed UNet inputs are reused across steps: contexts only change when a prompt edit switches text.
  const samples = new Map<number, Float32Array>();
  const contexts = new Map<string, Float32Array>();
  const embeddingIds = new Map<TextEmbedding, number>();
  const idOf = (e: TextEmbedding) => embeddingIds.get(e) ?? embeddingIds.set(e, embeddingIds.size).get(e)!;

  const addedConditions = new Map<string, AddedCondition>();

  /**
   * SDXL: every evaluation's pooled text and time ids, one row per sample like the context (A1111's CFGDenoiser
   * concatenates the cond and uncond "vector" entries as it does "crossattn"); undefined for other models.
   */
  function packedAdded(slice: readonly Evaluation[], n: number): AddedCondition | undefined {
    const first = slice[0]!.embedding.added;
    if (first === undefined || first === null) return undefined;
    const key = `${n}:${slice.map((e) => idOf(e.embedding)).join(",")}`;
    let added = addedConditions.get(key);
    if (!added) {
      const pooled = first.textEmbeds.length;
      const ids = first.timeIds.length;
      added = { textEmbeds: new Float32Array(n * pooled), timeIds: new Float32Array(n * ids) };
      for (let k = 0; k < n; k++) {
        const own = slice[Math.min(k, slice.length - 1)]!.embedding.added!;
        added.textEmbeds.set(own.textEmbeds, k * pooled);
        added.timeIds.set(own.timeIds, k * ids);
      }
      if (addedConditions.size > 64) addedConditions.clear();
      addedConditions.set(key, added);
    }
    return added;
  }

  function packedContext(slice: readonly Evaluation[], n: number, tokens: number): Float32Array {
    const key = `${n}:${slice.map((e) => idOf(e.embedding)).join(",")}`;
    let context = contexts.get(key);
    if (!context) {
      context = new Float32Array(n * tokens * hidden);
      for (let k = 0; k < n; k++) context.set(slice[Math.min(k, slice.length - 1)]!.embedding.context, k * tokens * hidden);
      if (contexts.size > 64) contexts.clear();
      contexts.set(key, context);
    }
    return context;
  }

  async function runGroup(group: Evaluation[], timestep: number): Promise<Float32Array[]> {
    const outputs: Float32Array[] = [];
    for (let start = 0; start < group.length; start += maxBatch) {
      const slice = group.slice(start, start + maxBatch);
      const n = fixedBatch ?? slice.length;
      const tokens = slice[0]!.embedding.tokens;
      let sample = samples.get(n);
      if (!sample) samples.set(n, (sample = new Float32Array(n * perInput)));
      for (let k = 0; k < n; k++) {
        const image = slice[Math.min(k, slice.length - 1)]!.image;
        sample.set(xIn.subarray(image * perImage, (image + 1) * perImage), k * perInput);
        if (imageConditioning) {
          sample.set(imageConditioning.subarray(image * conditioningPerImage, (image + 1) * conditioningPerImage), k * perInput + perImage);
        }
      }
      const context = packedContext(slice, n, tokens);
      const out = await model.predictNoise(sample, [n, inChannels, h, w], timestep, context, [n, tokens, hidden], packedAdded(slice, n));
      for (let k = 0; k < slice.length; k++) outputs.push(out.subarray(k * perImage, (k + 1) * perImage));
    }
    return outputs;
  }

  const denoise = async (x: Float32Array, sigma: number): Promise<Float32Array> => {
    const call = calls++;
    const batch = x.length / perImage;
    const cIn = 1 / Math.sqrt(sigma * sigma + 1);
    if (xIn.length !== x.length) xIn = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) xIn[i] = x[i]! * cIn;

    const skipped = skipsUncond(setup.skipping, call, sigma);
    const skipUncond = neverUncond || skipped;
    // A skipped uncond is replaced by the first cond's output and the scale drops to 1 (A1111 `combine_denoised`).
    const scale = skipped ? 1 : cfgScale;
    const evaluations: Evaluation[] = [];
    for (let image = 0; image < batch; image++) {
      const c = conditioning[image]!;
      c.cond.forEach((schedule, part) => evaluations.push({ image, embedding: schedule.at(call), part }));
      if (!skipUncond) evaluations.push({ image, embedding: c.uncond.at(call), part: -1 });
    }
    const groups = new Map<number, Evaluation[]>();
    for (const e of evaluations) groups.set(e.embedding.tokens, [...(groups.get(e.embedding.tokens) ?? []), e]);

    const timestep = schedule.sigmaToT(sigma);
    const outputs = new Map<Evaluation, Float32Array>();
    for (const group of groups.values()) {
      const results = await runGroup(group, timestep);
      group.forEach((e, k) => outputs.set(e, results[k]!));
    }

    // Model output → denoised: ε models D = x − σ·ε; v models D = x/(σ²+1) − σ/√(σ²+1)·v (k-diffusion external.py).
    const cSkip = vPrediction ? 1 / (sigma * sigma + 1) : 1;
    const cOut = vPrediction ? -sigma / Math.sqrt(sigma * sigma + 1) : -sigma;
    const result = new Float32Array(x.length);
    for (let image = 0; image < batch; image++) {
      const own = evaluations.filter((e) => e.image === image);
      const uncond = own.find((e) => e.part === -1);
      const conds = own.filter((e) => e.part >= 0);
      const condOut = conds.map((e) => outputs.get(e)!);
      const condScale = conds.map((e) => conditioning[image]!.condWeights[e.part]! * scale);
      const uncondOut = uncond ? outputs.get(uncond)! : skipped ? condOut[0]! : null;
      const base = image * perImage;
      if (!uncondOut) {
        for (let i = 0; i < perImage; i++) result[base + i] = x[base + i]! * cSkip + condOut[0]![i]! * cOut;
      } else if (condOut.length === 1) {
        // The common case, one cond: D = D_u + s·(D_c − D_u), where the x·c_skip terms cancel in the difference.
        const c0 = condOut[0]!;
        const s0 = condScale[0]!;
        for (let i = 0; i < perImage; i++) {
          const du = x[base + i]! * cSkip + uncondOut[i]! * cOut;
          result[base + i] = du + s0 * cOut * (c0[i]! - uncondOut[i]!);
        }
      } else {
        for (let i = 0; i < perImage; i++) {
          const du = x[base + i]! * cSkip + uncondOut[i]! * cOut;
          let d = du;
          for (let k = 0; k < condOut.length; k++) d += condScale[k]! * cOut * (condOut[k]![i]! - uncondOut[i]!);
          result[base + i] = d;
        }
      }
    }
    if (setup.blend) applyBlend(result, setup.blend.nmask, setup.blend.init);
    return result;
  };

  return Object.defineProperty(denoise, "calls", { get: () => calls }) as CfgDenoiser;
}

/** A1111's inpainting blend in float32: `latent · nmask + init · (1 − nmask)`, in place; `nmask` is one [h·w] plane. */
export function applyBlend(latent: Float32Array, nmask: Float32Array, init: Float32Array): void {
  const plane = nmask.length;
  const f = Math.fround;
  for (let i = 0; i < latent.length; i++) {
    const n = nmask[i % plane]!;
    latent[i] = f(f(latent[i]! * n) + f(init[i]! * f(1 - n)));
  }
}
