/**
 * The `local` backend: the engine in a worker thread of this process (`npm start`, tests, a CPU container).
 * Jobs run one at a time, in arrival order, like A1111's queue lock. Interrupt and skip requests reach the worker
 * through shared memory, checked between sampler steps.
 */
import { Worker } from "node:worker_threads";
import type { Config } from "../../config.ts";
import { invalidField } from "../../../a1111/errors.ts";
import { deserializeError } from "../errors.ts";
import type { GenerationHooks, GenerationJob, GenerationOutput, InferenceBackend } from "../../../a1111/backend.ts";
import { modelCatalog, resolveModel, type CatalogConfig } from "./model-catalog.ts";
import { CONTROL_INTERRUPT, CONTROL_SKIP, type WorkerMessage } from "./protocol.ts";

interface Pending {
  resolve: (output: GenerationOutput) => void;
  reject: (error: Error) => void;
  hooks: GenerationHooks;
}

const CONTROL_POLL_MS = 50;

export type LocalBackendConfig = CatalogConfig & Pick<Config, "ortThreads"> & Partial<Pick<Config, "ortExecutionProviders">>;

export function createLocalBackend(config: LocalBackendConfig): InferenceBackend {
  let worker: Worker | null = null;
  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();
  const pending = new Map<number, Pending>();

  function failAll(error: Error) {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  }

  function startWorker(): Worker {
    const w = new Worker(new URL("./worker.ts", import.meta.url), {
      workerData: { threads: config.ortThreads, executionProviders: config.ortExecutionProviders ?? ["cpu"] },
    });
    w.on("message", (message: WorkerMessage) => {
      const p = pending.get(message.id);
      if (!p) return;
      if (message.kind === "progress") return p.hooks.onProgress?.(message.update);
      pending.delete(message.id);
      if (pending.size === 0) w.unref();
      if (message.kind === "error") return p.reject(deserializeError(message.error));
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

  async function run(job: GenerationJob, hooks: GenerationHooks, modelDir: string): Promise<GenerationOutput> {
    worker ??= startWorker();
    const w = worker;
    w.ref();
    const id = nextId++;
    const control = new SharedArrayBuffer(8);
    const flags = new Int32Array(control);
    const poll = setInterval(() => {
      const action = hooks.control?.();
      if (action === "interrupt") Atomics.store(flags, CONTROL_INTERRUPT, 1);
      if (action === "skip") Atomics.store(flags, CONTROL_SKIP, 1);
    }, CONTROL_POLL_MS);
    try {
      return await new Promise<GenerationOutput>((resolve, reject) => {
        pending.set(id, { resolve, reject, hooks });
        w.postMessage({ kind: "generate", id, job, modelDir, control });
      });
    } finally {
      clearInterval(poll);
    }
  }

  return {
    name: "local",
    async generate(job, hooks = {}) {
      const catalog = await modelCatalog(config);
      const model = resolveModel(catalog, job.options.sd_model_checkpoint);
      if (!model) {
        throw invalidField(["override_settings", "sd_model_checkpoint"], `model '${job.options.sd_model_checkpoint}' not found`);
      }
      const result = queue.then(() => run(job, hooks, model.dir));
      queue = result.catch(() => undefined);
      return result;
    },
    async listModels() {
      return (await modelCatalog(config)).map((e) => e.item);
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
