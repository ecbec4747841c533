/**
 * The port through which the A1111 routes reach inference. The platform layer implements it, chosen by
 * configuration: in-process (the engine in a worker thread), an inference Lambda, a GPU endpoint, or the CI fake.
 */
import type { ClipSkipSupport } from "../engine/plan.ts";
import type { GenerationHooks, GenerationJob, GenerationOutput } from "./generation/job.ts";
import type { EmbeddingsResponse, LoraItem, SDModelItem } from "./schemas/catalog-items.ts";

export type { GenerationHooks, GenerationJob, GenerationOutput };
export type { GenerationTimings, ProgressUpdate } from "./generation/job.ts";

export interface InferenceBackend {
  /** Shown in logs and in the `x-serena-backend` header. */
  readonly name: string;
  generate(job: GenerationJob, hooks?: GenerationHooks): Promise<GenerationOutput>;
  /** The checkpoints this backend can load, in `/sdapi/v1/sd-models` shape. */
  listModels(): Promise<SDModelItem[]>;
  /**
   * `/sdapi/v1/unload-checkpoint`: frees the loaded model once the generations already queued have finished; the
   * next generation loads it again. Absent where the model lives elsewhere (a remote worker frees its own).
   */
  unloadModel?(): Promise<void>;
  /** `/sdapi/v1/reload-checkpoint`: loads the checkpoint `name` names (as `sd_model_checkpoint` does) now. */
  reloadModel?(name: string): Promise<void>;
  /**
   * `/sdapi/v1/loras`: the LoRA folder's files (SERENA_LORA_DIR). Absent where the backend has no LoRA folder here;
   * the route then lists none.
   */
  listLoras?(): Promise<LoraItem[]>;
  /** `/sdapi/v1/refresh-loras`: rescans the LoRA folder. */
  refreshLoras?(): Promise<void>;
  /**
   * `/sdapi/v1/embeddings`: the embeddings folder (SERENA_EMBEDDINGS_DIR) as the loaded model sees it, or as the
   * checkpoint `checkpoint` names (the `sd_model_checkpoint` setting) sees it when none is loaded yet.
   */
  listEmbeddings?(checkpoint: string): Promise<EmbeddingsResponse>;
  /** `/sdapi/v1/refresh-embeddings`: reloads the embeddings folder. */
  refreshEmbeddings?(checkpoint: string): Promise<void>;
  /**
   * Which clip skips (`CLIP_stop_at_last_layers`) the checkpoint `checkpoint` names serves, so that POST /options and
   * requests refuse one it cannot serve before anything is stored or queued: the model's answer, loaded for the
   * question where needed when no generation is running or waiting, else null when another model is loaded (it is not
   * swapped out from under the queue). Absent where the model lives elsewhere or serves any (the CI fake).
   */
  clipSkipSupport?(checkpoint: string): Promise<ClipSkipSupport | null>;
  /** Frees workers and connections (tests, shutdown). */
  close?(): Promise<void>;
}
