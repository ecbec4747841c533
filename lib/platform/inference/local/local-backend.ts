/**
 * The `local` backend: the engine in a worker thread of this process (`npm start`, tests, a CPU container).
 * Generations run one at a time, in arrival order, like A1111's queue lock; at most `maxQueue` wait behind the running
 * one, and a request beyond that gets a 429 with `Retry-After` (an estimate from recent durations) instead of
 * memory that grows without bound. Interrupt and skip requests reach the worker through shared memory, checked
 * between sampler steps. Each model load is logged with its time and size, under the request id that caused it.
 */
import path from "node:path";
import type { Worker } from "node:worker_threads";
import type { Config } from "../../config.ts";
import { invalidField, tooManyRequests } from "../../../a1111/errors.ts";
import { currentRequestId } from "../../http/request-id.ts";
import { createLogger, type Logger } from "../../runtime/logger.ts";
import { deserializeError } from "../errors.ts";
import type { GenerationHooks, GenerationJob, GenerationOutput, InferenceBackend } from "../../../a1111/backend.ts";
import type { EmbeddingsResponse } from "../../../a1111/schemas/catalog-items.ts";
import { LoraCatalog } from "../../../engine/networks/lora-catalog.ts";
import { requestedRefiner } from "../../../a1111/generation/refiner.ts";
import type { ClipSkipSupport } from "../../../engine/plan.ts";
import { modelCatalog, resolveModel, type CatalogConfig } from "./model-catalog.ts";
import { CONTROL_INTERRUPT, CONTROL_SKIP, type ClipSkipMessage, type EmbeddingsMessage, type LoadMessage, type WorkerMessage } from "./protocol.ts";

/** A message asking the worker something, before its id is given. */
type QuestionMessage = Omit<LoadMessage, "id"> | Omit<EmbeddingsMessage, "id"> | Omit<ClipSkipMessage, "id">;

/** A question the worker has not answered yet. */
interface Question {
  readonly answer: (message: WorkerMessage) => void;
  readonly reject: (error: Error) => void;
}

interface Pending {
  resolve: (output: GenerationOutput) => void;
  reject: (error: Error) => void;
  hooks: GenerationHooks;
  requestId: string | undefined;
}

const CONTROL_POLL_MS = 50;

export type LocalBackendConfig = CatalogConfig &
  Pick<Config, "ortThreads"> &
  Partial<Pick<Config, "ortExecutionProviders" | "maxQueue" | "logLevel" | "networks">>;

/**
 * V8 sizes a thread's young generation from the machine's memory (a 64 MB new space on a 24 GB machine), and keeps
 * what it grew to. The worker's garbage per job is small (tensors and images live outside the heap), so a 6 MB young
 * generation costs no measurable speed and keeps the tiny model's server about 60 MB smaller after its release
 * (docs/engine.md "Memory").
 */
const WORKER_YOUNG_GENERATION_MB = 6;

/** Generations allowed to wait behind the running one when the configuration does not say. */
export const DEFAULT_MAX_QUEUE = 8;

export interface LocalBackendOptions {
  readonly logger?: Logger;
  /**
   * Reload a model its jobs grew once the worker has been idle a while (worker.ts `returnArenaMemory`); default on.
   * The Lambda worker turns it off: a frozen sandbox would run the overdue reload when the next invocation thaws it,
   * and make that invocation wait for it, while Lambda bills the configured memory whatever the process holds.
   */
  readonly idleRelease?: boolean;
}

export function createLocalBackend(config: LocalBackendConfig, options: LocalBackendOptions = {}): InferenceBackend {
  const logger = options.logger ?? createLogger({ logLevel: config.logLevel ?? "info" });
  let worker: Worker | null = null;
  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();
  /** Generations accepted and not finished: the running one and those waiting. */
  let inFlight = 0;
  /** A moving average of how long a generation takes, for Retry-After. */
  let averageMs = 5000;
  const maxQueue = config.maxQueue ?? DEFAULT_MAX_QUEUE;
  const pending = new Map<number, Pending>();
  /** Questions asked of the worker (model loads, embedding listings, clip skips), by message id. */
  const questions = new Map<number, Question>();
  /** Nothing asked of the worker is unanswered: it may let the process exit. */
  const idle = () => pending.size === 0 && questions.size === 0;
  const loraDir = config.networks?.loraDir ?? null;
  const embeddingsDir = config.networks?.embeddingsDir ?? null;
  /** The LoRA folder as `/sdapi/v1/loras` lists it; the worker has its own for generations (both rescan on a miss). */
  const loraCatalog = loraDir === null ? null : new LoraCatalog(loraDir);

  function failAll(error: Error) {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    for (const q of questions.values()) q.reject(error);
    questions.clear();
  }

  function startWorker(): Worker {
    // Taken when the first worker starts, so that API functions which never start one do not load the module.
    const { Worker: WorkerThread } = process.getBuiltinModule("node:worker_threads");
    const w = new WorkerThread(new URL("./worker.ts", import.meta.url), {
      workerData: {
        threads: config.ortThreads,
        executionProviders: config.ortExecutionProviders ?? ["cpu"],
        loraDir,
        embeddingsDir,
        idleRelease: options.idleRelease ?? true,
      },
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    w.on("message", (message: WorkerMessage) => {
      if (message.kind === "model-loaded") {
        const { dir, ms, bytes } = message;
        return logger.info("model loaded", { requestId: pending.get(message.id)?.requestId, model: path.basename(dir), dir, ms, bytes });
      }
      if (message.kind === "memory-released") {
        const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
        return logger.info("memory released", { model: path.basename(message.dir), by: message.by, ms: message.ms, fromMb: mb(message.fromBytes), toMb: mb(message.toBytes) });
      }
      const question = questions.get(message.id);
      if (question) {
        questions.delete(message.id);
        if (idle()) w.unref();
        return message.kind === "error" ? question.reject(deserializeError(message.error)) : question.answer(message);
      }
      const p = pending.get(message.id);
      if (!p) return;
      if (message.kind === "progress") return p.hooks.onProgress?.(message.update);
      pending.delete(message.id);
      if (idle()) w.unref();
      if (message.kind === "error") return p.reject(deserializeError(message.error));
      if (message.kind !== "result") return;
      const images = message.images.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
      p.resolve(message.warnings ? { images, info: message.info, warnings: message.warnings } : { images, info: message.info });
    });
    w.on("error", (error) => failAll(new Error(`inference worker failed: ${error.message}`)));
    w.on("exit", (code) => {
      if (worker === w) worker = null;
      failAll(new Error(`inference worker exited with code ${code}`));
    });
    return w;
  }

  async function run(job: GenerationJob, hooks: GenerationHooks, modelDir: string, refinerDir: string | undefined): Promise<GenerationOutput> {
    worker ??= startWorker();
    const w = worker;
    w.ref();
    const id = nextId++;
    const control = new SharedArrayBuffer(8);
    const flags = new Int32Array(control);
    const pollControl = () => {
      const action = hooks.control?.();
      if (action === "interrupt") Atomics.store(flags, CONTROL_INTERRUPT, 1);
      if (action === "skip") Atomics.store(flags, CONTROL_SKIP, 1);
    };
    // Once now, so that a stop requested while the generation waited is seen before its first step.
    pollControl();
    const poll = setInterval(pollControl, CONTROL_POLL_MS);
    try {
      return await new Promise<GenerationOutput>((resolve, reject) => {
        pending.set(id, { resolve, reject, hooks, requestId: currentRequestId() });
        w.postMessage({ kind: "generate", id, job, modelDir, control, ...(refinerDir === undefined ? {} : { refinerDir }) });
      });
    } finally {
      clearInterval(poll);
    }
  }

  /** Runs `task` after everything queued before it, as generations run (one at a time, like A1111's queue lock). */
  function afterQueue<T>(task: () => Promise<T>): Promise<T> {
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  }

  async function modelDirFor(name: string): Promise<string> {
    const model = resolveModel(await modelCatalog(config), name);
    if (!model) throw invalidField(["override_settings", "sd_model_checkpoint"], `model '${name}' not found`);
    return model.dir;
  }

  /**
   * Sends `message` to the worker (started if need be) and settles with `read` of its answer, or rejects with the
   * worker's error.
   */
  function ask<T>(message: QuestionMessage, read: (answer: WorkerMessage) => T): Promise<T> {
    worker ??= startWorker();
    const w = worker;
    w.ref();
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      questions.set(id, { answer: (answer) => resolve(read(answer)), reject });
      w.postMessage({ ...message, id });
    });
  }

  const load = (modelDir: string): Promise<void> => ask({ kind: "load", modelDir }, () => undefined);

  /** Asks the worker for the embeddings folder as its model sees it (A1111 lists them for the loaded model). */
  async function embeddings(checkpoint: string, force: boolean): Promise<EmbeddingsResponse> {
    if (embeddingsDir === null) return { loaded: {}, skipped: {} };
    const modelDir = await modelDirFor(checkpoint);
    return ask({ kind: "embeddings", modelDir, force }, (answer) => (answer.kind === "embeddings" ? answer.listing : { loaded: {}, skipped: {} }));
  }

  const askClipSkip = (modelDir: string, load: boolean): Promise<ClipSkipSupport | null> =>
    ask({ kind: "clip-skip", modelDir, load }, (answer) => (answer.kind === "clip-skip" ? answer.support : null));

  /**
   * Asks the worker which clip skips the model for `checkpoint` serves. With no generation running or waiting, the
   * model is loaded for the question (in the queue, as a generation would load it; A1111 loads a checkpoint when it is
   * set); otherwise the loaded model answers if it is that one, and the answer is null if not (none is swapped out
   * from under the queue).
   */
  async function clipSkipSupport(checkpoint: string): Promise<ClipSkipSupport | null> {
    const modelDir = await modelDirFor(checkpoint);
    return inFlight === 0 ? afterQueue(() => askClipSkip(modelDir, true)) : askClipSkip(modelDir, false);
  }

  return {
    name: "local",
    clipSkipSupport,
    async listLoras() {
      return loraCatalog === null ? [] : loraCatalog.list();
    },
    async refreshLoras() {
      await loraCatalog?.refresh();
    },
    listEmbeddings: (checkpoint) => embeddings(checkpoint, false),
    async refreshEmbeddings(checkpoint) {
      await embeddings(checkpoint, true);
    },
    async generate(job, hooks = {}) {
      const catalog = await modelCatalog(config, logger);
      const model = resolveModel(catalog, job.options.sd_model_checkpoint);
      if (!model) {
        throw invalidField(["override_settings", "sd_model_checkpoint"], `model '${job.options.sd_model_checkpoint}' not found`);
      }
      // A1111 (processing.py `process_images`): the refiner is looked up among the checkpoints before anything runs.
      const refinerName = requestedRefiner(job.request);
      const refiner = refinerName === null ? undefined : resolveModel(catalog, refinerName);
      if (refinerName !== null && !refiner) throw invalidField(["refiner_checkpoint"], `Could not find checkpoint with name ${refinerName}`);
      if (inFlight > maxQueue) {
        throw tooManyRequests(
          `${inFlight} generations are running or waiting here, the most this server queues (SERENA_MAX_QUEUE=${maxQueue}); try again later or submit an async job`,
          ((inFlight - maxQueue) * averageMs) / 1000,
        );
      }
      inFlight++;
      const result = afterQueue(async () => {
        const started = performance.now();
        hooks.onStart?.();
        try {
          return await run(job, hooks, model.dir, refiner?.dir);
        } finally {
          averageMs = 0.7 * averageMs + 0.3 * (performance.now() - started);
        }
      });
      return result.finally(() => inFlight--);
    },
    async listModels() {
      return (await modelCatalog(config, logger)).map((e) => e.item);
    },
    /**
     * Ends the worker thread once the queued generations are done: its onnxruntime sessions and weights go with it
     * (A1111's unload_model_weights frees the model too). The next generation or reload starts a fresh worker.
     */
    unloadModel() {
      return afterQueue(async () => {
        const w = worker;
        worker = null;
        if (w) await w.terminate();
      });
    },
    async reloadModel(name) {
      const modelDir = await modelDirFor(name);
      return afterQueue(() => load(modelDir));
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
