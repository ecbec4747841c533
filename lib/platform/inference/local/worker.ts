/**
 * The inference worker thread. onnxruntime-node's `session.run` blocks its thread for the whole call, so the
 * engine runs here (with the A1111 edge that plans the request and encodes the images) and the main thread keeps
 * answering `/progress` and the rest.
 * One model stays loaded; a job for another folder swaps it. Each load is reported to the main thread, which logs
 * it (local-backend.ts).
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import type { ProgressUpdate } from "../../../a1111/backend.ts";
import { runA1111Generation } from "../../../a1111/generation/generate.ts";
import { embeddingsListing } from "../../../a1111/generation/networks.ts";
import { loadEngine, type LoadedEngine } from "../../../engine/engine.ts";
import { LoraCatalog } from "../../../engine/networks/lora-catalog.ts";
import { embeddingLibraryFor } from "../../../engine/pipeline/text-conditioner.ts";
import { serializeError } from "../errors.ts";
import { CONTROL_INTERRUPT, CONTROL_SKIP, type ClipSkipMessage, type EmbeddingsMessage, type GenerateMessage, type LoadMessage, type WorkerMessage } from "./protocol.ts";

const port = parentPort!;
const { threads, executionProviders, loraDir, embeddingsDir, idleRelease } = workerData as {
  threads: number;
  executionProviders: string[];
  loraDir: string | null;
  embeddingsDir: string | null;
  idleRelease: boolean;
};
let engine: { dir: string; engine: LoadedEngine } | null = null;
/**
 * Loads, reloads and releases run one after another: a job, a listing or a question that needs a model waits here
 * for the change under way instead of loading a second copy (messages are handled concurrently).
 */
let modelChanges: Promise<unknown> = Promise.resolve();
/**
 * onnxruntime's CPU arena keeps every buffer a job needed until its session is released: a 1024² job at batch 2
 * leaves gigabytes resident that later 512² jobs never use. After a job that left the process more than an allowance
 * above its resident size right after the model loaded, the worker returns that memory before the next job: first
 * by reopening the VAE's sessions (whose full-resolution activations are the largest buffers, and which open in a
 * fraction of a model load), and when that is not enough by releasing and loading the whole model
 * (`releaseIfGrown`; `npm run bench`, docs/engine.md "Memory"). The allowance is 300 MB or the model's size,
 * whichever is larger: a full-size SD 1.5 UNet needs about 2 GB of activations at 512² (batch 2), and reloading its
 * 3.4 GB after every job would cost more than the memory is worth.
 */
const MIN_ARENA_ALLOWANCE_BYTES = 300 * 2 ** 20;
/**
 * Below that allowance the arenas are working memory the next jobs reuse, until the worker has been idle for a while:
 * then a model more than IDLE_ALLOWANCE_BYTES above its loaded size is released the same way, so a server between
 * bursts of work holds its model and little else. "A while" is IDLE_LOADS times the model's last load time, at least
 * MIN_IDLE_MS: a job that arrives during the release waits for it, at most one load time, and only after that long a
 * pause.
 */
const IDLE_ALLOWANCE_BYTES = 64 * 2 ** 20;
const IDLE_LOADS = 10;
const MIN_IDLE_MS = 5_000;
/** The process's resident size right after the current model loaded, and how far jobs may grow it. */
let loadedRss = 0;
let arenaAllowance = MIN_ARENA_ALLOWANCE_BYTES;
let lastLoadMs = 0;
let idleTimer: NodeJS.Timeout | undefined;
/** Generations under way: the model is never reloaded under one. */
let runningJobs = 0;
/** `<lora:…>` tags are looked up here (rescanned when a name is not found, so new files need no restart). */
const loras = loraDir === null ? undefined : new LoraCatalog(loraDir);

const post = (message: WorkerMessage) => port.postMessage(message);

/** Bytes of every file under `dir` (weights, external data, tokenizer, configs). */
async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(path.join(e.parentPath, e.name)).then((s) => s.size)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

/** Runs `change` after the model changes queued before it. */
function queueModelChange<T>(change: () => Promise<T>): Promise<T> {
  const next = modelChanges.then(change);
  modelChanges = next.catch(() => null);
  return next;
}

/** The engine for `dir`, loading it (in place of the loaded one) when it is not the loaded one. */
function engineFor(dir: string, id: number): Promise<LoadedEngine> {
  return queueModelChange(() => (engine?.dir === dir ? Promise.resolve(engine.engine) : load(dir, id)));
}

/** Releases the loaded model, if any, and loads `dir`. Only from a queued model change. */
async function load(dir: string, id: number): Promise<LoadedEngine> {
  const previous = engine;
  engine = null;
  await previous?.engine.release();
  const options = { allowSpinning: false, executionProviders, embeddingsDir, ...(threads > 0 ? { intraOpNumThreads: threads } : {}) };
  const started = performance.now();
  const loaded = await loadEngine(dir, options);
  engine = { dir, engine: loaded };
  lastLoadMs = performance.now() - started;
  loadedRss = process.memoryUsage.rss();
  const bytes = await folderBytes(dir).catch(() => -1);
  arenaAllowance = Math.max(MIN_ARENA_ALLOWANCE_BYTES, bytes);
  post({ kind: "model-loaded", id, dir, ms: Math.round(lastLoadMs), bytes });
  return loaded;
}

/** The loaded model's embeddings (or those of the model in `message.modelDir`, loaded for it when none is). */
async function listEmbeddings(message: EmbeddingsMessage): Promise<void> {
  await modelChanges;
  const current = engine?.engine ?? (await engineFor(message.modelDir, message.id));
  const folder = await embeddingLibraryFor(current.loaded.model, current.loaded.tokenizer).refresh(message.force);
  post({ kind: "embeddings", id: message.id, listing: embeddingsListing(folder) });
}

/**
 * Which clip skips the model in `message.modelDir` serves, loading it when no model is loaded or `message.load` says
 * so (the main thread asks that only with no generation running or waiting); null when another model stays loaded.
 */
async function clipSkipSupport(message: ClipSkipMessage): Promise<void> {
  await modelChanges;
  const loadable = engine === null || message.load;
  const current = engine?.dir === message.modelDir ? engine.engine : loadable ? await engineFor(message.modelDir, message.id) : null;
  post({ kind: "clip-skip", id: message.id, support: current === null ? null : ((await current.clipSkipSupport?.()) ?? null) });
}

port.on("message", async (message: GenerateMessage | LoadMessage | EmbeddingsMessage | ClipSkipMessage) => {
  clearTimeout(idleTimer);
  if (message.kind === "clip-skip") {
    await clipSkipSupport(message).catch((error: unknown) => post({ kind: "error", id: message.id, error: serializeError(error) }));
    return;
  }
  if (message.kind === "embeddings") {
    await listEmbeddings(message).catch((error: unknown) => post({ kind: "error", id: message.id, error: serializeError(error) }));
    return;
  }
  if (message.kind === "load") {
    try {
      await engineFor(message.modelDir, message.id);
      post({ kind: "loaded", id: message.id });
    } catch (error) {
      post({ kind: "error", id: message.id, error: serializeError(error) });
    }
    return;
  }
  const flags = new Int32Array(message.control);
  runningJobs++;
  try {
    const hooks = {
      onProgress: (update: ProgressUpdate) => post({ kind: "progress", id: message.id, update }),
      control: () => {
        if (Atomics.load(flags, CONTROL_INTERRUPT) === 1) return "interrupt" as const;
        return Atomics.exchange(flags, CONTROL_SKIP, 0) === 1 ? ("skip" as const) : null;
      },
    };
    // The engine opens a refiner beside its model and keeps both (lib/engine/engine.ts). Opened here, before the job,
    // its memory joins the baseline, so that returnArenaMemory does not take it for arena growth and reload both
    // models after every refined job.
    const refiner = message.refinerDir === undefined ? {} : { refinerDir: message.refinerDir };
    const loaded = await engineFor(message.modelDir, message.id);
    const refinerDir = message.refinerDir;
    if (refinerDir !== undefined && refinerDir !== message.modelDir && (await loaded.openRefiner?.(refinerDir))) loadedRss = process.memoryUsage.rss();
    const output = await runA1111Generation(message.job, loaded, hooks, {
      ...(loras ? { loras } : {}),
      modelDir: message.modelDir,
      ...refiner,
    });
    post({ kind: "result", id: message.id, images: output.images, info: output.info, ...(output.warnings ? { warnings: output.warnings } : {}) });
  } catch (error) {
    post({ kind: "error", id: message.id, error: serializeError(error) });
  } finally {
    runningJobs--;
  }
  await returnArenaMemory(message.modelDir, message.id).catch(() => undefined);
});

/**
 * After a job: returns memory at once when the job grew onnxruntime's arenas past their allowance, and arranges for
 * it when the worker stays idle and they still hold more than IDLE_ALLOWANCE_BYTES (a message cancels that).
 */
async function returnArenaMemory(dir: string, id: number): Promise<void> {
  if (runningJobs > 0) return; // the last of them checks
  const grown = () => (engine?.dir === dir ? process.memoryUsage.rss() - loadedRss : 0);
  if (grown() > arenaAllowance) await releaseIfGrown(dir, id, arenaAllowance);
  // Reopening the VAE may leave the UNet's arena, below the allowance: the idle release takes it.
  if (!idleRelease || runningJobs > 0 || grown() <= IDLE_ALLOWANCE_BYTES) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void releaseIfGrown(dir, id, IDLE_ALLOWANCE_BYTES).catch(() => undefined), Math.max(MIN_IDLE_MS, IDLE_LOADS * lastLoadMs));
}

/**
 * When `dir` is still the loaded model and still more than `allowance` above its loaded size: reopens its VAE, and
 * reloads the whole model when the process is still above the allowance after that.
 */
function releaseIfGrown(dir: string, id: number, allowance: number): Promise<unknown> {
  return queueModelChange(async () => {
    const over = () => process.memoryUsage.rss() - loadedRss > allowance;
    if (runningJobs > 0 || engine?.dir !== dir || !over()) return;
    const fromBytes = process.memoryUsage.rss();
    const started = performance.now();
    await engine.engine.reopenVae();
    let by: "vae" | "model" = "vae";
    if (over()) {
      await load(dir, id);
      by = "model";
    }
    post({ kind: "memory-released", id, dir, by, ms: Math.round(performance.now() - started), fromBytes, toBytes: process.memoryUsage.rss() });
  });
}
