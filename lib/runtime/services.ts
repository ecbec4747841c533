/**
 * What every route needs beyond its request: configuration, logger, inference backend, settings and progress.
 * Created once per process (per warm function instance) and passed to handlers through the middy context.
 */
import { getConfig, type Config } from "../config.ts";
import type { InferenceBackend } from "../inference/backend.ts";
import { createLocalBackend } from "../inference/local/local-backend.ts";
import { createUnavailableBackend } from "../inference/unavailable-backend.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMemoryOptionsStore, type OptionsStore } from "./options-store.ts";
import { createProgressTracker, type ProgressTracker } from "./progress.ts";

export interface Services {
  config: Config;
  logger: Logger;
  backend: InferenceBackend;
  options: OptionsStore;
  progress: ProgressTracker;
}

export function createBackend(config: Config): InferenceBackend {
  switch (config.backend) {
    case "local":
      return createLocalBackend(config);
    default:
      return createUnavailableBackend();
  }
}

export function createServices(config: Config, overrides: Partial<Services> = {}): Services {
  return {
    config,
    logger: overrides.logger ?? createLogger(config),
    backend: overrides.backend ?? createBackend(config),
    options: overrides.options ?? createMemoryOptionsStore(),
    progress: overrides.progress ?? createProgressTracker(),
  };
}

let services: Services | undefined;

export function getServices(): Services {
  services ??= createServices(getConfig());
  return services;
}
