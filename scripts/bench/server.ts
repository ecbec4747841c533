/**
 * Serena as a user runs it: `npm start`'s entry (lib/platform/server/main.ts) in its own process, the engine in its
 * worker thread, reached over HTTP on 127.0.0.1. The benchmark reads the process's resident memory from
 * /proc/<pid>/status (main thread, worker thread and onnxruntime's buffers together) and the model load time from
 * the server's "model loaded" log line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import readline from "node:readline";

const ROOT = path.resolve(import.meta.dirname, "../..");

export interface BenchServer {
  readonly base: string;
  readonly pid: number;
  /** Resident set size once listening, before any model is loaded, MiB. */
  readonly startedRssMb: number;
  /** Resident set size of the server process, MiB. */
  rssMb(): number;
  /** The "model loaded" times the server logged so far, ms. */
  readonly loads: number[];
  /**
   * The worker's "memory released" lines in order: whether it reopened the VAE or reloaded the model, and when the
   * line arrived (`performance.now()` of this process).
   */
  readonly releases: { by: "vae" | "model"; at: number }[];
  txt2img(body: Record<string, unknown>): Promise<{ ms: number; bytes: number; images: number }>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

export async function startServer(modelDir: string, env: Record<string, string> = {}): Promise<BenchServer> {
  const port = await freePort();
  // CI=true would swap the engine for the CI fake (lib/platform/http/middlewares/ci-fake.ts).
  const { CI: _ci, ...inherited } = process.env;
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, "lib/platform/server/main.ts")], {
    cwd: ROOT,
    env: { ...inherited, PORT: String(port), HOST: "127.0.0.1", SERENA_MODEL_DIR: modelDir, SERENA_BACKEND: "local", SERENA_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const loads: number[] = [];
  const releases: { by: "vae" | "model"; at: number }[] = [];
  let output = "";
  // Whole lines (a log line can arrive split across two chunks); the server logs one JSON object per line.
  const onLine = (line: string) => {
    output = (output + line + "\n").slice(-20_000);
    let entry: { message?: unknown; ms?: unknown; by?: unknown } | null;
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return; // not a log line
    }
    if (typeof entry !== "object" || entry === null) return;
    if (entry.message === "memory released" && (entry.by === "vae" || entry.by === "model")) releases.push({ by: entry.by, at: performance.now() });
    if (entry.message === "model loaded" && typeof entry.ms === "number") loads.push(entry.ms);
  };
  readline.createInterface({ input: child.stdout! }).on("line", onLine);
  readline.createInterface({ input: child.stderr! }).on("line", onLine);
  const base = `http://127.0.0.1:${port}`;
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${base}/sdapi/v1/progress`)).ok) break;
    } catch {
      // not listening yet
    }
    if (tries > 600) throw new Error(`the server did not answer within a minute:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    pid: child.pid!,
    startedRssMb: rssOf(child.pid!),
    loads,
    releases,
    rssMb: () => rssOf(child.pid!),
    async txt2img(body) {
      const started = performance.now();
      const response = await fetch(`${base}/sdapi/v1/txt2img`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      const bytes = (await response.arrayBuffer()).byteLength;
      const ms = performance.now() - started;
      if (!response.ok) throw new Error(`txt2img answered ${response.status}`);
      return { ms, bytes, images: Number(body["batch_size"] ?? 1) * Number(body["n_iter"] ?? 1) };
    },
    async stop() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
