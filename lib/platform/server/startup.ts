/**
 * Starting the local server (`npm start`, `serena serve`): the configuration is read, the configured model folders
 * are checked with the engine's own folder reader, the server listens, and a banner says what is being served. Every
 * start-up problem a user can cause (a bad variable, a missing or wrong model folder, a port already taken) stops the
 * process with one line that names the variable or address and what to do, never a stack trace.
 */
import { existsSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import type http from "node:http";
import path from "node:path";
import { readModelFolder } from "../../engine/model/model-folder.ts";
import { ModelLoadError } from "../../engine/model/model-load-error.ts";
import { parseConfig, type Config } from "../config.ts";
import type { ServiceOverrides, Services } from "../runtime/services.ts";

/** A problem the user can fix; `message` is one line. Exit code 2 for a refused command-line value, 1 otherwise. */
export class StartupError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(oneLine(message));
    this.name = "StartupError";
    this.exitCode = exitCode;
  }
}

/** Folds a message onto one line (zod's pretty errors and file problems can span several). */
export const oneLine = (text: string) => text.replace(/\s*\n\s*/g, "; ").trim();

/**
 * How the user set a configuration variable: the command-line flag that set it (`serena serve --port`), or the
 * variable itself. Messages name what the user typed.
 */
export type SettingLabel = (variable: string) => string;
export const variableLabel: SettingLabel = (variable) => variable;

/** The configuration from `env`; a bad value is a StartupError naming the variable (or the flag that set it). */
export function readConfig(env: NodeJS.ProcessEnv, label: SettingLabel = variableLabel): Config {
  try {
    return parseConfig(env);
  } catch (error) {
    const message = (error as Error).message;
    // parseConfig names each bad variable as "NAME: problem"; a flag-set one gets its flag named too.
    const flagged = Object.keys(env).filter((name) => label(name) !== name && message.includes(`${name}:`));
    const annotated = flagged.reduce((text, name) => text.replace(`${name}:`, `${label(name)} (${name}):`), message);
    throw new StartupError(annotated, flagged.length > 0 ? 2 : 1);
  }
}

const MODELS_DOC = "docs/models.md describes the folders Serena loads";

/** A ModelLoadError's problem with the file named relative to the model folder. */
function folderProblem(dir: string, error: ModelLoadError): string {
  const problem = error.message.startsWith(`${error.file}: `) ? error.message.slice(error.file.length + 2) : error.message;
  const file = path.relative(path.resolve(dir), error.file);
  return file ? `${file}: ${problem}` : problem;
}

async function checkModelFolder(dir: string, setting: string): Promise<void> {
  try {
    await readModelFolder(dir);
  } catch (error) {
    if (error instanceof ModelLoadError) throw new StartupError(`${setting}=${dir}: ${folderProblem(dir, error)} (${MODELS_DOC})`);
    throw error;
  }
}

/** The model folders in SERENA_MODELS_ROOT, chosen as the model catalog chooses them: subfolders with model_index.json. */
async function rootModelFolders(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && existsSync(path.join(root, e.name, "model_index.json")))
    .map((e) => path.join(root, e.name))
    .sort();
}

/** What the model check found, for the banner; `warnings` are folders the catalog lists but cannot load. */
export interface ModelCheck {
  readonly description: string;
  readonly warnings: string[];
}

/**
 * Checks the model folders the local backend will use, before anything listens: SERENA_MODEL_DIR must be a model
 * folder the engine can read (lib/engine/model/model-folder.ts decides, so this check and loading never disagree);
 * SERENA_MODELS_ROOT must be a folder holding at least one (broken ones are warned about, as the rest still work).
 * Remote backends load models on their worker, so only their names are reported.
 */
export async function checkModels(config: Config, label: SettingLabel = variableLabel): Promise<ModelCheck> {
  const warnings: string[] = [];
  if (config.backend === "none") return { description: "none (SERENA_BACKEND=none: generation answers 503)", warnings };
  if (config.backend !== "local") return { description: `on the ${config.backend} inference worker`, warnings };
  const described: string[] = [];
  if (config.modelDir) {
    await checkModelFolder(config.modelDir, label("SERENA_MODEL_DIR"));
    described.push(`${path.basename(path.resolve(config.modelDir))} (${path.resolve(config.modelDir)})`);
  }
  if (config.modelsRoot) {
    const root = path.resolve(config.modelsRoot);
    const setting = label("SERENA_MODELS_ROOT");
    if (!existsSync(root)) throw new StartupError(`${setting}=${root}: the folder does not exist`);
    if (!statSync(root).isDirectory()) throw new StartupError(`${setting}=${root}: not a folder`);
    const found: string[] = [];
    for (const dir of await rootModelFolders(root)) {
      try {
        await readModelFolder(dir);
        found.push(path.basename(dir));
      } catch (error) {
        if (!(error instanceof ModelLoadError)) throw error;
        warnings.push(oneLine(`${setting}: ${path.basename(dir)} cannot be loaded: ${folderProblem(dir, error)}`));
      }
    }
    if (found.length === 0 && !config.modelDir) {
      throw new StartupError(`${setting}=${root}: no loadable model folder in it (a model folder holds model_index.json; ${MODELS_DOC})`);
    }
    if (found.length > 0) described.push(`${found.length} in ${root}: ${found.join(", ")}`);
  }
  if (config.storage.modelUri) described.push(`${config.storage.modelUri} (downloaded on first use)`);
  if (described.length === 0) {
    described.push("generated tiny test model (random weights: its images are coloured noise; set SERENA_MODEL_DIR for pictures)");
  }
  return { description: described.join("; "), warnings };
}

/** Listens, turning the errors a user can cause into one line that says what to change. */
export async function listenOrExplain(server: http.Server, host: string, port: number): Promise<{ host: string; port: number }> {
  const { listen } = await import("./server.ts");
  try {
    return await listen(server, host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${host}:${port}`;
    const choosePort = "choose another port with --port N (serena serve) or PORT=N (npm start); port 0 picks a free one";
    if (code === "EADDRINUSE") throw new StartupError(`${where} is already in use (is another server running?); ${choosePort}`);
    if (code === "EACCES") throw new StartupError(`not allowed to listen on ${where} (ports below 1024 need privileges); ${choosePort}`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
      throw new StartupError(`cannot listen on ${where}: no such address on this machine; choose another with --host or HOST (127.0.0.1, 0.0.0.0)`);
    }
    throw error;
  }
}

/** The lines printed once the server listens (to stderr: stdout carries the JSON log lines). */
export function bannerLines(config: Config, url: string, backendName: string, models: ModelCheck): string[] {
  const lines = [
    `Serena is listening on ${url}`,
    `  API docs  ${url}/docs`,
    `  backend   ${backendName}${backendName === "local" ? " (the engine in a worker thread of this process)" : ""}`,
    `  model     ${models.description}`,
    `  auth      ${config.apiAuth ? `on (HTTP Basic, ${config.apiAuth.length} user${config.apiAuth.length === 1 ? "" : "s"})` : "off"}`,
    `  CI fake   ${config.ciFake ? "ON" : "off"}`,
  ];
  for (const warning of models.warnings) lines.push(`  warning   ${warning}`);
  if (config.ciFake) lines.push(...ciFakeWarning("txt2img and img2img answer"));
  return lines;
}

/** The loud notice that CI=true swaps the engine for placeholder images (docs/architecture.md, "The CI fake"). */
export function ciFakeWarning(subject: string): string[] {
  const text = [
    "CI=true: THE CI FAKE IS ON.",
    `${subject} with FAKE placeholder images:`,
    "no model runs, and the pictures mean nothing.",
    "Unset CI (or set CI=false) for real generation.",
  ];
  const width = Math.max(...text.map((t) => t.length));
  const rule = "!".repeat(width + 6);
  return ["", rule, ...text.map((t) => `!! ${t.padEnd(width)} !!`), rule, ""];
}

export interface RunningServer {
  readonly url: string;
  readonly services: Services;
  readonly server: http.Server;
  /** Stops accepting connections and releases the backend. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly label?: SettingLabel;
  readonly stderr?: NodeJS.WritableStream;
  readonly overrides?: ServiceOverrides;
  /**
   * Serve until SIGINT/SIGTERM, then close and exit (`exitOnSignal`). Set here rather than by the caller after the
   * start, so the handlers are in place before the "listening" line that tells a supervisor it may signal.
   */
  readonly exitOnSignal?: boolean;
}

/** Checks, listens and prints the banner; resolves once the server accepts connections. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const label = options.label ?? variableLabel;
  const stderr = options.stderr ?? process.stderr;
  const models = await checkModels(config, label);
  // Loaded here, not at the top: the CLI's help and usage errors need none of the server (startup.ts is imported
  // for its checks and messages).
  const [{ createServices }, { createServer }] = await Promise.all([import("../runtime/services.ts"), import("./server.ts")]);
  const services = createServices(config, options.overrides);
  const server = createServer(services);
  let address: { host: string; port: number };
  try {
    address = await listenOrExplain(server, config.host, config.port);
  } catch (error) {
    await services.backend.close?.();
    throw error;
  }
  const url = `http://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}`;
  const running: RunningServer = {
    url,
    services,
    server,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await services.backend.close?.();
    },
  };
  if (options.exitOnSignal) exitOnSignal(running);
  services.logger.info("serena listening", {
    url,
    backend: config.ciFake ? `${services.backend.name} (txt2img/img2img answered by the CI fake)` : services.backend.name,
  });
  stderr.write(bannerLines(config, url, services.backend.name, models).join("\n") + "\n");
  return running;
}

/** Serves until SIGINT/SIGTERM, then closes and exits 0 (within 5 s even if connections linger). */
function exitOnSignal(running: RunningServer): void {
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    running.services.logger.info("shutting down", { signal });
    setTimeout(() => process.exit(0), 5000).unref();
    void running.close().then(() => process.exit(0));
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

/** Ends the process for a start-up failure: one line on stderr; anything unexpected keeps its message, not its stack. */
export function exitWithStartupError(error: unknown): never {
  if (error instanceof StartupError) {
    process.stderr.write(`serena: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`serena: failed to start: ${oneLine((error as Error)?.message ?? String(error))}\n`);
  process.exit(1);
}
