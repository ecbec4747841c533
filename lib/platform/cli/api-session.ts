/**
 * The services a CLI command calls the API with: the configured backend (optionally reporting progress to a view),
 * in-memory settings and jobs, and no HTTP Basic auth (there is no HTTP client to authenticate: the user runs the
 * process). Logs default to errors only, on stderr, so stdout carries the command's own output.
 */
import type { Config } from "../config.ts";
import { checkModels, type SettingLabel } from "../server/startup.ts";
import { createBackend, createServices, type Services } from "../runtime/services.ts";
import { inProcessApi } from "./in-process.ts";
import { withProgress, type ProgressView } from "./progress.ts";

/** The environment a command reads its configuration from: quiet logs unless SERENA_LOG_LEVEL says otherwise. */
export const commandEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ SERENA_LOG_LEVEL: "error", ...env });

export interface ApiSession {
  readonly api: ReturnType<typeof inProcessApi>;
  readonly services: Services;
}

/** Runs `use` with the API in this process, and releases the backend (its worker thread) afterwards. */
export async function withApi<T>(config: Config, view: ProgressView | null, use: (session: ApiSession) => Promise<T>): Promise<T> {
  const local: Config = { ...config, apiAuth: null };
  const backend = createBackend(local);
  const services = createServices(local, { backend: view ? withProgress(backend, view) : backend });
  try {
    return await use({ api: inProcessApi(services), services });
  } finally {
    await backend.close?.();
  }
}

/**
 * The start-up check of the server (startup.ts) for a command that loads a model: a missing or broken model folder is
 * one line naming it (a StartupError) before any work; folders of SERENA_MODELS_ROOT that cannot load are warned about.
 */
export async function checkCommandModels(config: Config, label: SettingLabel, stderr: NodeJS.WritableStream): Promise<void> {
  const { warnings } = await checkModels(config, label);
  for (const warning of warnings) stderr.write(`warning: ${warning}\n`);
}
