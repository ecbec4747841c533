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
import { createLazyStorage } from "../storage/lazy-storage.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMemoryOptionsStore } from "./options-store.ts";
import { createProgressTracker, type ProgressTracker } from "./progress.ts";
import type { RouteServices } from "../../a1111/routes/context.ts";
import { createJobsService } from "../jobs/service.ts";
import { createImageStore } from "../storage/outputs.ts";

/** The platform's services: the ports the A1111 routes use, plus what the platform itself runs on. */
export interface Services extends RouteServices {
  readonly config: Config;
  readonly logger: Logger;
  readonly backend: InferenceBackend;
  readonly progress: ProgressTracker;
  /** The configured bucket; null without SERENA_BUCKET. */
  readonly storage: ObjectStorage | null;
  readonly jobStore: JobStore;
}

export type ServiceOverrides = Partial<Pick<Services, "logger" | "backend" | "options" | "storage" | "jobStore">>;

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

export function createServices(config: Config, overrides: ServiceOverrides = {}): Services {
  const storage = overrides.storage !== undefined ? overrides.storage : createLazyStorage(config.storage);
  const jobStore = overrides.jobStore ?? (storage ? createS3JobStore(storage) : createMemoryJobStore(config.memoryJobs));
  const backend = overrides.backend ?? createBackend(config);
  const services: Services = {
    config,
    logger: overrides.logger ?? createLogger(config),
    backend,
    options: overrides.options ?? (storage ? createS3OptionsStore(storage) : createMemoryOptionsStore()),
    progress: createProgressTracker(jobStore),
    storage,
    images: storage ? createImageStore(storage) : null,
    jobStore,
    jobs: createJobsService(() => services),
    server: {
      maxResponseBytes: config.maxResponseBytes,
      apiAuth: config.apiAuth !== null,
      host: config.host,
      port: config.port,
      corsAllowOrigins: config.corsAllowOrigins,
      backendName: backend.name,
    },
  };
  return services;
}

let services: Services | undefined;

export function getServices(): Services {
  services ??= createServices(getConfig());
  return services;
}
