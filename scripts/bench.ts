/**
 * `npm run bench`: txt2img at 512×512, 20 steps, on the generated tiny model, in this process (no worker), with
 * onnxruntime's `session.run` timed so the engine's own overhead can be told apart; then the local server with the
 * engine in its worker thread, timing `/sdapi/v1/progress` while a generation runs. Prints a table and writes
 * bench-results/bench.json. Figures, not assertions: speed and memory targets are checked by reading them.
 *
 *   BENCH_GENERATIONS=50 BENCH_SAMPLER="Euler a" npm run bench
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { InferenceSession } from "onnxruntime-node";
import { parseConfig } from "../lib/platform/config.ts";
import { runA1111Generation } from "../lib/a1111/generation/generate.ts";
import { loadEngine } from "../lib/engine/engine.ts";
import { createServices } from "../lib/platform/runtime/services.ts";
import { createServer, listen } from "../lib/platform/server/server.ts";
import { ensureTinyModel } from "../lib/engine/tiny-model/index.ts";
import { Txt2ImgRequest } from "../lib/a1111/schemas/generation.ts";
import { Options } from "../lib/a1111/schemas/options.ts";

const generations = Number(process.env.BENCH_GENERATIONS ?? 50);
const sampler = process.env.BENCH_SAMPLER ?? "Euler";
const variant = (process.env.BENCH_VARIANT ?? "sd1-diffusers") as "sd1-diffusers";
const warmup = 3;

const modelDir = await ensureTinyModel(path.join(os.tmpdir(), "serena-cache"), variant);

// Time spent inside onnxruntime: every session.run of every component (the prototype all sessions share).
let runMs = 0;
let runCalls = 0;
const probe = await InferenceSession.create(path.join(modelDir, "vae_decoder", "model.onnx"));
const sessionPrototype = Object.getPrototypeOf(probe) as { run: InferenceSession["run"] };
await probe.release();
const originalRun = sessionPrototype.run;
sessionPrototype.run = async function timedRun(this: InferenceSession, ...args: Parameters<InferenceSession["run"]>) {
  const start = performance.now();
  try {
    return await originalRun.apply(this, args);
  } finally {
    runMs += performance.now() - start;
    runCalls++;
  }
} as InferenceSession["run"];

const rssMb = () => process.memoryUsage.rss() / 2 ** 20;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const engine = await loadEngine(modelDir, { intraOpNumThreads: Number(process.env.SERENA_ORT_THREADS ?? 0) || undefined });
const request = Txt2ImgRequest.parse({ prompt: "a red fox in the snow", seed: 1, steps: 20, width: 512, height: 512, sampler_name: sampler });
const options = Options.parse({});

const totals: number[] = [];
const runs: number[] = [];
const encodes: number[] = [];
const overheadShares: number[] = [];
const stepTimes: number[] = [];
const phases: NonNullable<Awaited<ReturnType<typeof runA1111Generation>>["timings"]>[] = [];
const rssSamples: number[] = [];
let rssAfterWarmup = 0;
for (let g = 0; g < warmup + generations; g++) {
  runMs = 0;
  runCalls = 0;
  const steps: number[] = [];
  let last = performance.now();
  const start = last;
  const output = await runA1111Generation(
    { type: "txt2img", request: { ...request, seed: g }, options },
    engine,
    {
      onProgress: () => {
        const now = performance.now();
        steps.push(now - last);
        last = now;
      },
    },
  );
  const total = performance.now() - start;
  if (g === warmup - 1) rssAfterWarmup = rssMb();
  if (g < warmup) continue;
  encodes.push(output.timings!.encoding);
  phases.push(output.timings!);
  runs.push(runMs);
  if ((g - warmup + 1) % 10 === 0) rssSamples.push(Number(rssMb().toFixed(1)));
  totals.push(total);
  overheadShares.push((total - runMs) / total);
  stepTimes.push(...steps);
}
const rssAfter = rssMb();
const peakRss = process.resourceUsage().maxRSS / 1024;
await engine.release();

/** /sdapi/v1/progress latency while the local server generates (target: under 200 ms). */
async function progressLatency(): Promise<{ samples: number; medianMs: number; maxMs: number }> {
  const services = createServices(parseConfig({ SERENA_LOG_LEVEL: "silent", SERENA_MODEL_DIR: modelDir, SERENA_BACKEND: "local" }));
  const server = createServer(services);
  const { port } = await listen(server, "127.0.0.1", 0);
  const base = `http://127.0.0.1:${port}`;
  const body = JSON.stringify({ prompt: "a long job", seed: 1, steps: 40, width: 512, height: 512, batch_size: 2, n_iter: 4 });
  const generation = fetch(`${base}/sdapi/v1/txt2img`, { method: "POST", body }).then((r) => r.arrayBuffer());
  const latencies: number[] = [];
  let running = true;
  void generation.finally(() => (running = false));
  while (running) {
    const start = performance.now();
    const progress = (await (await fetch(`${base}/sdapi/v1/progress`)).json()) as { progress: number };
    if (progress.progress > 0 && running) latencies.push(performance.now() - start);
    await new Promise((r) => setTimeout(r, 25));
  }
  await generation;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await services.backend.close?.();
  return { samples: latencies.length, medianMs: median(latencies), maxMs: Math.max(...latencies) };
}
const latency = await progressLatency();

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  model: `tiny ${variant}`,
  sampler,
  size: "512x512",
  steps: 20,
  generations,
  medianTotalMs: Number(median(totals).toFixed(1)),
  medianStepMs: Number(median(stepTimes).toFixed(2)),
  medianSessionRunMs: Number(median(runs).toFixed(1)),
  medianPrepareMs: Number(median(phases.map((p) => p.prepare)).toFixed(1)),
  medianSamplingMs: Number(median(phases.map((p) => p.sampling)).toFixed(1)),
  medianDecodingMs: Number(median(phases.map((p) => p.decoding)).toFixed(1)),
  medianPngEncodeMs: Number(median(encodes).toFixed(1)),
  medianOverheadShare: Number(median(overheadShares).toFixed(4)),
  medianOverheadShareWithoutPng: Number(
    median(totals.map((t, i) => (t - runs[i]! - encodes[i]!) / t)).toFixed(4),
  ),
  sessionRunCallsPerGeneration: runCalls,
  peakRssMb: Number(peakRss.toFixed(1)),
  rssAfterWarmupMb: Number(rssAfterWarmup.toFixed(1)),
  rssAfterAllMb: Number(rssAfter.toFixed(1)),
  rssGrowthMb: Number((rssAfter - rssAfterWarmup).toFixed(1)),
  // Caches (sharp's, V8's heap) fill during the first generations; growth after that would be a leak.
  rssGrowthAfterFirst10Mb: rssSamples.length > 1 ? Number((rssAfter - rssSamples[0]!).toFixed(1)) : null,
  rssEvery10Mb: rssSamples.join(" "),
  progressSamplesDuringGeneration: latency.samples,
  progressMedianMs: Number(latency.medianMs.toFixed(1)),
  progressMaxMs: Number(latency.maxMs.toFixed(1)),
};
console.table(result);
await mkdir("bench-results", { recursive: true });
await writeFile(path.join("bench-results", "bench.json"), JSON.stringify(result, null, 2) + "\n");
console.log("wrote bench-results/bench.json");
