/**
 * The engine's entry point: a model folder loaded once (sessions, tokenizer, noise schedule) and jobs run on it.
 * It knows nothing of HTTP or workers (DESIGN.md §1): the local backend runs it in a worker thread, tests and the
 * benchmark call it directly.
 */
import type { GenerationHooks, GenerationJob, GenerationOutput } from "../platform/inference/backend.ts";
import { loadModel, type LoadModelOptions } from "./model/index.ts";
import { runGeneration, type GenerationSettings, type LoadedModel } from "./pipeline/generate.ts";
import { modelSigmas } from "./schedules/model-sigmas.ts";
import { loadClipTokenizer } from "./tokenizer/clip-tokenizer.ts";

export interface EngineOptions extends LoadModelOptions, Partial<GenerationSettings> {}

export interface Engine {
  readonly model: LoadedModel;
  generate(job: GenerationJob, hooks?: GenerationHooks): Promise<GenerationOutput>;
  release(): Promise<void>;
}

export async function loadEngine(modelDir: string, options: EngineOptions = {}): Promise<Engine> {
  const model = await loadModel(modelDir, options);
  try {
    const tokenizer = await loadClipTokenizer(model.facts.tokenizerDir);
    const loaded: LoadedModel = {
      model,
      tokenizer,
      sigmas: modelSigmas({
        beta_start: model.facts.noiseSchedule.betaStart,
        beta_end: model.facts.noiseSchedule.betaEnd,
        beta_schedule: model.facts.noiseSchedule.betaSchedule,
        num_train_timesteps: model.facts.noiseSchedule.numTrainTimesteps,
        trained_betas: model.facts.noiseSchedule.trainedBetas,
      }),
      identity: { name: model.facts.name, hash: model.facts.hash },
    };
    const settings: GenerationSettings = { maxUnetBatch: options.maxUnetBatch ?? 8 };
    return {
      model: loaded,
      generate: (job, hooks = {}) => runGeneration(loaded, job, hooks, settings),
      release: () => model.release(),
    };
  } catch (error) {
    await model.release();
    throw error;
  }
}
