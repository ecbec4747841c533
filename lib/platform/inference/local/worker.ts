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
import { runA1111Generation } from "../../../a1111/generation/generate.ts";
import { loadEngine } from "../../../engine/engine.ts";
import type { Engine } from "../../../engine/plan.ts";
import { serializeError } from "../errors.ts";
import { CONTROL_INTERRUPT, CONTROL_SKIP, type GenerateMessage, type LoadMessage, type WorkerMessage } from "./protocol.ts";

const port = parentPort!;
const { threads, executionProviders } = workerData as { threads: number; executionProviders: string[] };
let engine: { dir: string; engine: Engine } | null = null;

const post = (message: WorkerMessage) => port.postMessage(message);

/** Bytes of every file under `dir` (weights, external data, tokenizer, configs). */
async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(path.join(e.parentPath, e.name)).then((s) => s.size)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

async function engineFor(dir: string, id: number): Promise<Engine> {
  if (engine?.dir === dir) return engine.engine;
  await engine?.engine.release();
  engine = null;
  const options = { allowSpinning: false, executionProviders, ...(threads > 0 ? { intraOpNumThreads: threads } : {}) };
  const started = performance.now();
  engine = { dir, engine: await loadEngine(dir, options) };
  const ms = Math.round(performance.now() - started);
  post({ kind: "model-loaded", id, dir, ms, bytes: await folderBytes(dir).catch(() => -1) });
  return engine.engine;
}

port.on("message", async (message: GenerateMessage | LoadMessage) => {
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
  try {
    const output = await runA1111Generation(message.job, await engineFor(message.modelDir, message.id), {
      onProgress: (update) => post({ kind: "progress", id: message.id, update }),
      control: () => {
        if (Atomics.load(flags, CONTROL_INTERRUPT) === 1) return "interrupt";
        return Atomics.exchange(flags, CONTROL_SKIP, 0) === 1 ? "skip" : null;
      },
    });
    post({ kind: "result", id: message.id, images: output.images, info: output.info, ...(output.warnings ? { warnings: output.warnings } : {}) });
  } catch (error) {
    post({ kind: "error", id: message.id, error: serializeError(error) });
  }
});
