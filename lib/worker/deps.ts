/**
 * What a worker process builds once and keeps while it is warm: the engine behind the local backend (its worker
 * thread loads a model on first use and keeps it loaded between requests) and the bucket, when one is configured.
 * With SERENA_MODEL_S3_URI the model folder is first copied from S3 into the cache folder (lib/storage).
 */
import type { Config } from "../config.ts";
import { createLocalBackend } from "../inference/local/local-backend.ts";
import { ensureModelFromS3, s3ModelSource } from "../storage/model-download.ts";
import { createStorage } from "../storage/s3-storage.ts";
import type { WorkerDeps } from "./handle-request.ts";

export async function createWorkerDeps(config: Config): Promise<WorkerDeps> {
  const { modelUri } = config.storage;
  const modelDir = modelUri ? await ensureModelFromS3(s3ModelSource(modelUri, config.storage), config.cacheDir) : config.modelDir;
  return { backend: createLocalBackend({ ...config, modelDir }), storage: createStorage(config.storage) };
}
