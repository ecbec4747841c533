/**
 * The engine's entry point: a model folder loaded once (sessions, tokenizer, noise schedule) and generation plans
 * run on it (plan.ts). It knows nothing of HTTP, A1111's wire format or workers: the local backend runs it in a
 * worker thread, the CLI, tests and the benchmark call it directly.
 */
import { loadModel, type LoadModelOptions } from "./model/index.ts";
import { runGeneration, type GenerationSettings, type LoadedModel } from "./pipeline/generate.ts";
import type { Engine } from "./plan.ts";
import { modelSigmas } from "./schedules/model-sigmas.ts";
import { loadClipTokenizer } from "./tokenizer/clip-tokenizer.ts";

export interface EngineOptions extends LoadModelOptions, Partial<GenerationSettings> {}

export interface LoadedEngine extends Engine {
  readonly loaded: LoadedModel;
  /**
   * Returns the working memory of the model's VAE, and of an open refiner's (DiffusionModel.reopenVae): the local
   * backend's worker calls it after jobs that grew the process. Not while a generation runs.
   */
  reopenVae(): Promise<void>;
}

/** A model folder opened with its tokenizers and noise schedule. */
async function openModel(modelDir: string, options: EngineOptions): Promise<LoadedModel> {
  const model = await loadModel(modelDir, options);
  try {
    const tokenizer = await loadClipTokenizer(model.facts.tokenizerDir);
    const tokenizer2 = model.facts.tokenizer2Dir === null ? null : await loadClipTokenizer(model.facts.tokenizer2Dir);
    return {
      model,
      tokenizer,
      tokenizer2,
      sigmas: modelSigmas(model.facts.noiseSchedule),
      identity: { name: model.facts.name, hash: model.facts.hash },
    };
  } catch (error) {
    await model.release();
    throw error;
  }
}

/**
 * Loads the model in `modelDir`. A plan with a refiner (plan.refiner) opens the refiner's folder beside it on first
 * use and keeps it open for later plans, so both models stay in memory (one refiner at a time: another folder
 * replaces it); release() closes both.
 */
export async function loadEngine(modelDir: string, options: EngineOptions = {}): Promise<LoadedEngine> {
  const loaded = await openModel(modelDir, options);
  let refiner: { dir: string; model: Promise<LoadedModel> } | null = null;
  const releaseRefiner = async () => {
    const current = refiner;
    refiner = null;
    await current?.model.then((m) => m.model.release()).catch(() => undefined);
  };
  const settings: GenerationSettings = {
    maxUnetBatch: options.maxUnetBatch ?? 8,
    loadModel: async (dir) => {
      if (refiner?.dir !== dir) {
        await releaseRefiner();
        const opening = { dir, model: openModel(dir, options) };
        refiner = opening;
        // A folder that fails to open is not kept: the next plan tries again.
        opening.model.catch(() => {
          if (refiner === opening) refiner = null;
        });
      }
      return refiner!.model;
    },
  };
  return {
    loaded,
    model: loaded.identity,
    generate: (plan, hooks = {}) => runGeneration(loaded, plan, hooks, settings),
    // SD 2.x ignores clip skip (text-conditioner.ts), as A1111's OpenCLIP encoder does; SDXL reads it only for
    // text_encoder when sdxl_clip_l_skip is on (sdxl-conditioner.ts).
    clipSkipSupport: async () => {
      const model = loaded.model;
      if (model.facts.family === "sd1") return model.clipSkipSupport();
      const reason =
        model.facts.family === "sdxl"
          ? `${model.facts.name} is an SDXL model, which reads clip skip only for its CLIP-L encoder with sdxl_clip_l_skip (as in A1111)`
          : `${model.facts.name} is an SD 2.x model, whose text encoder does not read clip skip (as in A1111)`;
      return { max: null, reason };
    },
    openRefiner: async (dir) => {
      const fresh = refiner?.dir !== dir;
      await settings.loadModel!(dir);
      return fresh;
    },
    reopenVae: async () => {
      await loaded.model.reopenVae();
      const open = refiner === null ? null : await refiner.model.catch(() => null);
      await open?.model.reopenVae();
    },
    release: async () => {
      await releaseRefiner();
      await loaded.model.release();
    },
  };
}
