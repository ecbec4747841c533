/**
 * What a worker process builds once and keeps while it is warm: the engine behind the local backend (its worker
 * thread loads a model on first use and keeps it loaded between requests) and the bucket, when one is configured.
 * With SERENA_MODEL_S3_URI the model folder is first copied from S3 into the cache folder (lib/platform/storage);
 * the copy and every model load are logged with their time and size.
 */
import path from "node:path";
import type { Config } from "../config.ts";
import { createLocalBackend, type LocalBackendOptions } from "../inference/local/local-backend.ts";
import { ensureModelFromS3, s3ModelSource } from "../storage/model-download.ts";
import { createS3JobStore } from "../jobs/s3-job-store.ts";
import { watchJob, type JobWatch } from "../jobs/monitor.ts";
import { createLogger, type Logger } from "../runtime/logger.ts";
import type { ObjectStorage } from "../storage/object-storage.ts";
import { createStorage } from "../storage/s3-storage.ts";
import type { WorkerDeps } from "./handle-request.ts";

export async function createWorkerDeps(config: Config, logger: Logger = createLogger(config), backendOptions: Pick<LocalBackendOptions, "idleRelease"> = {}): Promise<WorkerDeps> {
  const { modelUri } = config.storage;
  const modelDir = modelUri ? await ensureModelFromS3(s3ModelSource(modelUri, config.storage), config.cacheDir, { logger }) : config.modelDir;
  const storage = createStorage(config.storage);
  // A model from S3 brings its LoRAs and embeddings: `Lora/` and `embeddings/` under its prefix are downloaded with it
  // and used unless SERENA_LORA_DIR / SERENA_EMBEDDINGS_DIR say otherwise (docs/configuration.md).
  const networks =
    modelUri && modelDir
      ? {
          loraDir: config.networksSet.loraDir ?? path.join(modelDir, "Lora"),
          embeddingsDir: config.networksSet.embeddingsDir ?? path.join(modelDir, "embeddings"),
        }
      : config.networks;
  const backend = createLocalBackend({ ...config, modelDir, networks }, { logger, ...backendOptions });
  return storage ? { backend, storage, ...jobWatches(storage) } : { backend, storage };
}

/**
 * Async jobs run here by a remote backend: progress goes into the job's state in the bucket and a cancel request
 * found there interrupts the generation, exactly as when the job runner runs the engine itself (lib/platform/jobs/monitor.ts).
 */
function jobWatches(storage: ObjectStorage): Pick<WorkerDeps, "onProgress" | "control" | "release"> {
  const store = createS3JobStore(storage);
  const watches = new Map<string, JobWatch>();
  const watch = (jobId: string) => {
    let w = watches.get(jobId);
    if (!w) watches.set(jobId, (w = watchJob(store, { id: jobId, cancelRequested: false })));
    return w;
  };
  return {
    onProgress: (jobId, update) => watch(jobId).onProgress(update),
    control: (jobId) => (watch(jobId).cancelled ? "interrupt" : null),
    release: async (jobId) => {
      const w = watches.get(jobId);
      watches.delete(jobId);
      await w?.stop();
    },
  };
}
