/**
 * Load figures for docs/security.md: N concurrent txt2img requests against the local server on the real engine,
 * with /progress polled throughout. Prints statuses, /progress latency (median, p95, max) and the process's RSS.
 *
 *   npm run bench:load -- [--requests 50] [--queue 8] [--steps 12] [--size 128] [--model-dir DIR]
 */
import { parseArgs } from "node:util";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { ensureTinyModel } from "../lib/engine/tiny-model/index.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "50" },
    queue: { type: "string", default: "8" },
    steps: { type: "string", default: "12" },
    size: { type: "string", default: "128" },
    "model-dir": { type: "string" },
  },
});
const [requests, steps, size] = [Number(values.requests), Number(values.steps), Number(values.size)];
const cacheDir = join(tmpdir(), "serena-cache");
const modelDir = values["model-dir"] ?? (await ensureTinyModel(cacheDir, "sd1-diffusers"));
// The server runs as `npm start` does, in its own process, so the load generator does not share its event loop.
const child = spawn(process.execPath, ["lib/platform/server/main.ts"], {
  env: { ...process.env, CI: "", PORT: "0", SERENA_BACKEND: "local", SERENA_MODEL_DIR: modelDir, SERENA_CACHE_DIR: cacheDir, SERENA_MAX_QUEUE: values.queue, SERENA_LOG_LEVEL: "silent" },
  stdio: ["ignore", "ignore", "pipe"],
});
const base = await new Promise<string>((resolve, reject) => {
  let text = "";
  child.stderr.on("data", (chunk: Buffer) => {
    text += chunk.toString();
    const match = /listening on (http:\/\/[^\s]+)/.exec(text);
    if (match) resolve(match[1]!);
  });
  child.on("exit", (code) => reject(new Error(`server exited (${code}): ${text}`)));
});
/** The server process's resident set, from /proc (Linux). */
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
// Warm up: the first generation loads the model.
await (await fetch(`${base}/sdapi/v1/txt2img`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ steps: 1, width: 64, height: 64 }) })).arrayBuffer();

const t0 = performance.now();
const rssIdle = rssOf(child.pid!);
let rssPeak = rssIdle;
let done = false;
const latencies: number[] = [];
const poll = (async () => {
  while (!done) {
    const started = performance.now();
    await (await fetch(`${base}/sdapi/v1/progress?skip_current_image=true`)).arrayBuffer();
    latencies.push(performance.now() - started);
    if (process.env.BENCH_TRACE) console.log(`poll ${latencies.length} at ${(started - t0).toFixed(0)} ms: ${(performance.now() - started).toFixed(1)} ms`);
    rssPeak = Math.max(rssPeak, rssOf(child.pid!));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
})();
const started = performance.now();
const statuses = await Promise.all(
  Array.from({ length: requests }, async (_, i) => {
    const response = await fetch(`${base}/sdapi/v1/txt2img`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: `a fox ${i}`, seed: i, steps, width: size, height: size }),
    });
    await response.arrayBuffer();
    return response.status;
  }),
);
const wall = performance.now() - started;
done = true;
await poll;
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
const count = (s: number) => statuses.filter((x) => x === s).length;
console.log(`${requests} concurrent txt2img (${size}x${size}, ${steps} steps, queue ${values.queue}) in ${(wall / 1000).toFixed(1)} s`);
console.log(`statuses: 200 × ${count(200)}, 429 × ${count(429)}, other × ${requests - count(200) - count(429)}`);
console.log(`/progress: ${latencies.length} polls, median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`);
console.log(`server RSS: idle ${(rssIdle / 2 ** 20).toFixed(0)} MiB, peak ${(rssPeak / 2 ** 20).toFixed(0)} MiB`);
console.log(`RSS after: ${(rssOf(child.pid!) / 2 ** 20).toFixed(0)} MiB`);
child.kill("SIGTERM");
