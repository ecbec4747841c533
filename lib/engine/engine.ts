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
}

export async function loadEngine(modelDir: string, options: EngineOptions = {}): Promise<LoadedEngine> {
  const model = await loadModel(modelDir, options);
  try {
    const tokenizer = await loadClipTokenizer(model.facts.tokenizerDir);
    const loaded: LoadedModel = {
      model,
      tokenizer,
      sigmas: modelSigmas(model.facts.noiseSchedule),
      identity: { name: model.facts.name, hash: model.facts.hash },
    };
    const settings: GenerationSettings = { maxUnetBatch: options.maxUnetBatch ?? 8 };
    return {
      loaded,
      model: loaded.identity,
      generate: (plan, hooks = {}) => runGeneration(loaded, plan, hooks, settings),
      // SD 2.x ignores clip skip (text-conditioner.ts), as A1111's OpenCLIP encoder does.
      clipSkipSupport: async () =>
        model.facts.family === "sd1"
          ? model.clipSkipSupport()
          : { max: null, reason: `${model.facts.name} is an SD 2.x model, whose text encoder does not read clip skip (as in A1111)` },
      release: () => model.release(),
    };
  } catch (error) {
    await model.release();
    throw error;
  }
}
