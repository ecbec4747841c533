/** Messages between the local backend (main thread) and its inference worker thread. */
import type { GenerationJob, ProgressUpdate } from "../../../a1111/backend.ts";
import type { EmbeddingsResponse } from "../../../a1111/schemas/catalog-items.ts";
import type { GenerationInfo } from "../../../a1111/schemas/generation-response.ts";
import type { ClipSkipSupport } from "../../../engine/plan.ts";
import type { SerializedError } from "../errors.ts";

export interface GenerateMessage {
  kind: "generate";
  id: number;
  job: GenerationJob;
  modelDir: string;
  /** The folder `refiner_checkpoint` resolved to, when the request asks for a refiner. */
  refinerDir?: string;
  /** Int32Array view: [0] interrupt, [1] skip; written by the main thread, read between sampler steps. */
  control: SharedArrayBuffer;
}

/** Loads the model in `modelDir` now, without generating (`/sdapi/v1/reload-checkpoint`); answered with "loaded". */
export interface LoadMessage {
  kind: "load";
  id: number;
  modelDir: string;
}

/**
 * The embeddings folder as the loaded model sees it (`/sdapi/v1/embeddings`), reloaded first when `force`
 * (`/sdapi/v1/refresh-embeddings`); loads the model in `modelDir` when none is loaded. Answered with "embeddings".
 */
export interface EmbeddingsMessage {
  kind: "embeddings";
  id: number;
  modelDir: string;
  force: boolean;
}

/**
 * Which clip skips the model in `modelDir` serves: asked of it when it is loaded, or loaded for the question when no
 * model is or when `load` (it then replaces the loaded one); otherwise null. Answered with "clip-skip".
 */
export interface ClipSkipMessage {
  kind: "clip-skip";
  id: number;
  modelDir: string;
  load: boolean;
}

export type WorkerMessage =
  | { kind: "progress"; id: number; update: ProgressUpdate }
  /** A model was loaded for generation `id`: how long it took and the bytes of its folder (for the log). */
  | { kind: "model-loaded"; id: number; dir: string; ms: number; bytes: number }
  /**
   * The worker returned memory that jobs had grown (worker.ts `releaseIfGrown`): by reopening the VAE's sessions, or
   * by reloading the whole model; how long that took and the process's resident bytes before and after (for the log).
   */
  | { kind: "memory-released"; id: number; dir: string; by: "vae" | "model"; ms: number; fromBytes: number; toBytes: number }
  | { kind: "loaded"; id: number }
  | { kind: "embeddings"; id: number; listing: EmbeddingsResponse }
  | { kind: "clip-skip"; id: number; support: ClipSkipSupport | null }
  | { kind: "result"; id: number; images: Uint8Array[]; info: GenerationInfo; warnings?: string[] }
  | { kind: "error"; id: number; error: SerializedError };

export const CONTROL_INTERRUPT = 0;
export const CONTROL_SKIP = 1;
