/**
 * What every route needs beyond its request: configuration, logger, inference backend, settings, progress, the
 * bucket and the job store. Created once per process (per warm function instance) and passed to handlers through
 * the middy context. With a bucket (SERENA_BUCKET), settings and jobs live in it so every instance shares them;
 * without one they live in this process's memory.
 */
import { getConfig, type Config } from "../config.ts";
import type { InferenceBackend } from "../../a1111/backend.ts";
import { createHttpBackend } from "../inference/http-backend.ts";
import { createLambdaBackend } from "../inference/lambda-backend.ts";
import { createLocalBackend } from "../inference/local/local-backend.ts";
import { createUnavailableBackend } from "../inference/unavailable-backend.ts";
import { createMemoryJobStore, type JobStore } from "../jobs/job-store.ts";
import { createS3JobStore } from "../jobs/s3-job-store.ts";
import type { ObjectStorage } from "../storage/object-storage.ts";
import { createS3OptionsStore } from "../storage/s3-options-store.ts";
import { createStorage } from "../storage/s3-storage.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMemoryOptionsStore, type OptionsStore } from "./options-store.ts";
import { createProgressTracker, type ProgressTracker } from "./progress.ts";

export interface Services {
  config: Config;
  logger: Logger;
  backend: InferenceBackend;
  options: OptionsStore;
  progress: ProgressTracker;
  /** The configured bucket; null without SERENA_BUCKET. */
  storage: ObjectStorage | null;
  jobs: JobStore;
}

export function createBackend(config: Config): InferenceBackend {
  switch (config.backend) {
    case "local":
      return createLocalBackend(config);
    case "lambda":
      return createLambdaBackend(config.worker, { region: config.storage.region, inlineLimitBytes: config.maxResponseBytes });
    case "http":
      return createHttpBackend(config.worker, { inlineLimitBytes: config.maxResponseBytes });
    default:
      return createUnavailableBackend();
  }
}

export function createServices(config: Config, overrides: Partial<Services> = {}): Services {
  const storage = overrides.storage !== undefined ? overrides.storage : createStorage(config.storage);
  return {
    config,
    logger: overrides.logger ?? createLogger(config),
    backend: overrides.backend ?? createBackend(config),
    options: overrides.options ?? (storage ? createS3OptionsStore(storage) : createMemoryOptionsStore()),
    progress: overrides.progress ?? createProgressTracker(),
    storage,
    jobs: overrides.jobs ?? (storage ? createS3JobStore(storage) : createMemoryJobStore()),
  };
}

let services: Services | undefined;

export function getServices(): Services {
  services ??= createServices(getConfig());
  return services;
}
