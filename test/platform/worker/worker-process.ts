/**
 * The inference worker's HTTP server as a real child process (`node lib/platform/worker/http-main.ts`, Node 24: vitest runs
 * on the project's Node, so `process.execPath` is it), serving the generated tiny model. Its JSON log lines on
 * stdout tell the tests when it listens and when an invocation has started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { ensureTinyModel } from "../../../lib/engine/tiny-model/index.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const CACHE_DIR = path.join(os.tmpdir(), "serena-test-cache");

export const WORKER_TOKEN = "test-worker-token";

export interface WorkerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves at the next log line with this message (call it before causing the line). */
  nextLog(message: string): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts the worker; `port` 0 lets the system choose. Resolves once it listens. */
export async function startWorkerProcess(env: Record<string, string> = {}, port = 0): Promise<WorkerProcess> {
  const modelDir = await ensureTinyModel(CACHE_DIR, "sd1-diffusers");
  const child = spawn(process.execPath, ["lib/platform/worker/http-main.ts"], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      SERENA_LOG_LEVEL: "info",
      SERENA_CACHE_DIR: CACHE_DIR,
      SERENA_MODEL_DIR: modelDir,
      SERENA_WORKER_TOKEN: WORKER_TOKEN,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const waiters: { message: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = "";
  let buffered = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const text of lines) {
      const line = JSON.parse(text) as Record<string, unknown>;
      const i = waiters.findIndex((w) => w.message === line.message);
      if (i >= 0) waiters.splice(i, 1)[0]!.resolve(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const nextLog = (message: string) => new Promise<Record<string, unknown>>((resolve) => waiters.push({ message, resolve }));
  const listening = await Promise.race([
    nextLog("inference worker listening"),
    exited.then((code) => Promise.reject(new Error(`worker exited with ${code} before listening: ${stderr}`))),
  ]);
  const url = String(listening.url);
  return { url, port: Number(new URL(url).port), child, nextLog, exited };
}

/** SIGKILL, as a crash or an out-of-memory kill would end it. */
export async function killWorker(worker: WorkerProcess): Promise<void> {
  worker.child.kill("SIGKILL");
  await worker.exited;
}
