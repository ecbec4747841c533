/**
 * `npm run bench`: Serena end to end through HTTP against the floor of bare onnxruntime calls, per model, in one
 * interleaved run; then memory over mixed generations and after a large job.
 *
 * For each model (the default tiny model; `sd15-mid`, generated into .cache/models/sd15-mid when missing, a few
 * seconds; `sd15`, full size, only when .cache/models/sd15 exists — `npm run make-model -- --preset sd15 --out
 * .cache/models/sd15 --no-vae-encoder`, 3.9 GB):
 *
 * 1. three ways to make the same txt2img (512×512, 20 steps, Euler, batch 1), each warmed up once, then run in
 *    interleaved rounds (the order rotates every round, so a load change on a shared machine hits all three alike):
 *    - **floor** (scripts/bench/floor.ts): the bare onnxruntime calls, same sessions and options as the engine;
 *    - **http**: POST /sdapi/v1/txt2img to `npm start`'s server (scripts/bench/server.ts), body read to the end;
 *    - **in-process**: the worker thread's code in this process with `session.run` timed (scripts/bench/breakdown.ts),
 *      for the breakdown: tokenise, text encoder, UNet and JavaScript per step, VAE, pixels, PNG, base64/JSON, and
 *      HTTP = http − in-process − base64/JSON.
 *    The headline is the median over rounds of http ÷ floor of the same round (target ≤ 1.10, docs/engine.md).
 * 2. memory: the server's resident set after warm-up (idle); during BENCH_GENERATIONS mixed generations (sizes 256²
 *    to 768×512, batch 1–2, n_iter 1–2, 10 steps; sampled every 50 ms, and after every 10th); two load times after
 *    the last one (any reload it set off has finished); steady, once the worker has released the grown model (at
 *    once, or after 10 idle load times, at least 5 s): the figure held against the model files' size + 300 MB; right
 *    after a large job (1024², batch 2) and once the worker has released that, against the idle figure before the
 *    phase. `/sdapi/v1/progress` is polled meanwhile (latency while generating). A line per model says both.
 *
 * Environment: BENCH_MODELS=tiny,mid,full (default all three; full skipped when not generated), BENCH_ROUNDS (7),
 * BENCH_FULL_ROUNDS (1), BENCH_STEPS (20), BENCH_FULL_STEPS (20; a full-size UNet call takes seconds on a CPU),
 * BENCH_GENERATIONS (50; 0 skips the memory phase), BENCH_MIXED_STEPS (10) and BENCH_LARGE_STEPS (5; 0 skips the large
 * job) for the memory phase's jobs (memory depends on the sizes, not the steps: 1 makes a full-size memory phase take
 * an hour on a CPU; 0 there, since its 1024², batch 2 job has 2.7 times the pixels of a mixed job that already takes
 * 16 GB), BENCH_FULL_MEMORY=1 and BENCH_FULL_BREAKDOWN=1 (memory phase and in-process breakdown on the full model
 * too: long, and a third copy of its weights in memory), SERENA_ORT_THREADS and SERENA_ORT_EXECUTION_PROVIDERS (read
 * by the server, the floor and the in-process engine alike). Prints tables and writes bench-results/bench.json.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MODEL_PRESETS, writeModel } from "../lib/engine/model-builder/index.ts";
import type { LoadModelOptions } from "../lib/engine/model/load-model.ts";
import { ensureTinyModel } from "../lib/engine/tiny-model/index.ts";
import { openInProcess, type Breakdown } from "./bench/breakdown.ts";
import { openFloor, type FloorTimes } from "./bench/floor.ts";
import { startServer, type BenchServer } from "./bench/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const env = process.env;
const rounds = Number(env.BENCH_ROUNDS ?? 7);
const fullRounds = Number(env.BENCH_FULL_ROUNDS ?? 1);
const defaultSteps = Number(env.BENCH_STEPS ?? 20);
const fullSteps = Number(env.BENCH_FULL_STEPS ?? 20);
const generations = Number(env.BENCH_GENERATIONS ?? 50);
const mixedSteps = Number(env.BENCH_MIXED_STEPS ?? 10);
const largeJobSteps = Number(env.BENCH_LARGE_STEPS ?? 5);
const wanted = new Set((env.BENCH_MODELS ?? "tiny,mid,full").split(","));
const threads = Number(env.SERENA_ORT_THREADS ?? 0);
const SIZE = 512;

/** What the local backend's worker thread passes to loadEngine (lib/platform/inference/local/worker.ts). */
const providers = (env.SERENA_ORT_EXECUTION_PROVIDERS ?? "cpu").split(",").map((p) => p.trim().toLowerCase()).filter(Boolean);
const engineOptions: LoadModelOptions = { allowSpinning: false, executionProviders: providers, ...(threads > 0 ? { intraOpNumThreads: threads } : {}) };

const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round1 = (x: number) => Number(x.toFixed(1));
const round2 = (x: number) => Number(x.toFixed(2));
const mb = (bytes: number) => bytes / 2 ** 20;

async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(path.join(e.parentPath, e.name)).then((s) => s.size)));
  return sizes.reduce((a, b) => a + b, 0);
}

interface BenchModel {
  readonly name: string;
  readonly dir: string;
  readonly rounds: number;
  readonly steps: number;
  readonly memory: boolean;
  readonly breakdown: boolean;
}

async function models(): Promise<BenchModel[]> {
  const list: BenchModel[] = [];
  if (wanted.has("tiny")) list.push({ name: "tiny (sd1-diffusers)", dir: await ensureTinyModel(path.join(os.tmpdir(), "serena-cache"), "sd1-diffusers"), rounds, steps: defaultSteps, memory: true, breakdown: true });
  if (wanted.has("mid")) {
    const dir = path.join(ROOT, ".cache", "models", "sd15-mid");
    if (!existsSync(path.join(dir, "model_index.json"))) {
      console.log(`generating sd15-mid into ${dir} …`);
      await writeModel(dir, MODEL_PRESETS["sd15-mid"], { floatType: "float32", linearWeights: "folded", withoutVaeEncoder: true });
    }
    list.push({ name: "sd15-mid", dir, rounds, steps: defaultSteps, memory: true, breakdown: true });
  }
  const fullDir = env.BENCH_FULL_DIR ?? path.join(ROOT, ".cache", "models", "sd15");
  if (wanted.has("full")) {
    if (existsSync(path.join(fullDir, "model_index.json"))) list.push({
        name: "sd15 (full size)",
        dir: fullDir,
        rounds: fullRounds,
        steps: fullSteps,
        memory: env.BENCH_FULL_MEMORY === "1",
        breakdown: env.BENCH_FULL_BREAKDOWN === "1",
      });
    else console.log(`full-size model skipped: ${fullDir} not generated (npm run make-model -- --preset sd15 --out ${path.relative(ROOT, fullDir)} --no-vae-encoder)`);
  }
  return list;
}

interface SpeedResult {
  rounds: number;
  steps: number;
  floorMs: number;
  httpMs: number;
  inProcessMs: number | null;
  /** Median over rounds of http ÷ floor of the same round. */
  ratio: number;
  ratioOfMedians: number;
  ratios: number[];
  floor: { textEncoderMs: number; unetMsPerStep: number; vaeMs: number };
  breakdown: Record<string, number> | null;
  loadMs: { floorSessions: number; server: number; inProcess: number | null };
  /** Seconds per sampler step through HTTP: UNet call and JavaScript (in-process breakdown), else the floor's UNet call. */
  secondsPerIteration: number;
  /** The server's resident set after its warm-up generation (model loaded, one 512² job done). */
  rssAfterWarmupMb: number;
  responseBytes: number;
  pngBytes: number | null;
}

async function speed(model: BenchModel, server: BenchServer): Promise<SpeedResult> {
  const steps = model.steps;
  let started = performance.now();
  const floor = await openFloor(model.dir, engineOptions);
  const floorLoad = performance.now() - started;
  started = performance.now();
  const inProcess = model.breakdown ? await openInProcess(model.dir, engineOptions) : null;
  const inProcessLoad = performance.now() - started;
  const body = { prompt: "a red fox in the snow", seed: 1, steps, width: SIZE, height: SIZE, sampler_name: "Euler" };
  // Warm-up: the server loads the model on its first job; every path runs once before anything is measured.
  await server.txt2img(body);
  const rssAfterWarmupMb = server.rssMb();
  await floor.run(SIZE, SIZE, steps);
  await inProcess?.run(SIZE, SIZE, steps, 1);

  const floors: FloorTimes[] = [];
  const https: number[] = [];
  const parts: Breakdown[] = [];
  let responseBytes = 0;
  const ways = [
    async () => floors.push(await floor.run(SIZE, SIZE, steps)),
    async () => {
      const r = await server.txt2img(body);
      https.push(r.ms);
      responseBytes = r.bytes;
    },
    async (round: number) => {
      if (inProcess) parts.push(await inProcess.run(SIZE, SIZE, steps, round + 1));
    },
  ];
  for (let round = 0; round < model.rounds; round++) {
    for (let k = 0; k < ways.length; k++) await ways[(round + k) % ways.length]!(round);
    process.stdout.write(`  round ${round + 1}/${model.rounds}: floor ${floors.at(-1)!.totalMs.toFixed(0)} ms, http ${https.at(-1)!.toFixed(0)} ms\n`);
  }
  await floor.release();
  await inProcess?.release();

  const ratios = https.map((h, i) => h / floors[i]!.totalMs);
  const floorMs = median(floors.map((f) => f.totalMs));
  const httpMs = median(https);
  const inProcessMs = parts.length > 0 ? median(parts.map((p) => p.totalMs)) : null;
  const part = (key: keyof Breakdown) => median(parts.map((p) => p[key]));
  const base64JsonMs = parts.length > 0 ? part("base64JsonMs") : 0;
  const httpRemainder = parts.length > 0 ? median(https.map((h, i) => h - parts[i]!.totalMs - parts[i]!.base64JsonMs)) : 0;
  return {
    rounds: model.rounds,
    steps,
    floorMs: round1(floorMs),
    httpMs: round1(httpMs),
    inProcessMs: inProcessMs === null ? null : round1(inProcessMs),
    ratio: Number(median(ratios).toFixed(3)),
    ratioOfMedians: Number((httpMs / floorMs).toFixed(3)),
    ratios: ratios.map((r) => Number(r.toFixed(3))),
    floor: {
      textEncoderMs: round1(median(floors.map((f) => f.textEncoderMs))),
      unetMsPerStep: round2(median(floors.map((f) => f.unetMs / steps))),
      vaeMs: round1(median(floors.map((f) => f.vaeMs))),
    },
    breakdown: parts.length === 0 ? null : {
      "tokenise + conditioning JS (ms)": round1(part("tokeniseMs")),
      "text encoder (ms)": round1(part("textEncoderMs")),
      "UNet per step (ms)": round2(part("unetMsPerStep")),
      "JavaScript per step (ms)": round2(part("jsMsPerStep")),
      "VAE decode (ms)": round1(part("vaeMs")),
      "latents → RGB (ms)": round1(part("pixelsMs")),
      "PNG + infotext (ms)": round1(part("pngMs")),
      "base64 + JSON (ms)": round1(base64JsonMs),
      "HTTP + worker messages (ms)": round1(httpRemainder),
    },
    loadMs: { floorSessions: Math.round(floorLoad), server: server.loads[0] ?? -1, inProcess: inProcess ? Math.round(inProcessLoad) : null },
    secondsPerIteration: Number(
      (parts.length > 0 ? (part("unetMsPerStep") + part("jsMsPerStep")) / 1000 : median(floors.map((f) => f.unetMs / steps)) / 1000).toFixed(4),
    ),
    rssAfterWarmupMb: round1(rssAfterWarmupMb),
    responseBytes,
    pngBytes: parts.length > 0 ? median(parts.map((p) => p.pngBytes)) : null,
  };
}

/** Mixed jobs: [width, height, batch_size, n_iter]. */
const MIXED: readonly (readonly [number, number, number, number])[] = [
  [512, 512, 1, 1],
  [768, 512, 1, 1],
  [512, 768, 2, 1],
  [256, 256, 1, 2],
  [640, 640, 1, 1],
];

interface MemoryResult {
  serverStartedMb: number;
  modelFilesMb: number;
  budgetMb: number;
  idleMb: number;
  /** Read right after every 10th generation's answer. */
  every10Mb: number[];
  /** Sampled every 50 ms while the mixed generations ran: median and largest. */
  duringMixedMedianMb: number;
  duringMixedMaxMb: number;
  /** How often the worker returned memory while they ran (a job that grew the model past its allowance): by reopening the VAE, or reloading the model. */
  vaeReopensDuringMixed: number;
  modelReloadsDuringMixed: number;
  /** Two load times after the last answer (a reload that answer set off has finished; the idle release comes later). Not a steady figure. */
  rightAfter50Mb: number;
  /**
   * The steady figure the target is about: the resident set once the worker's releases after the last mixed
   * generation have stopped (lib/platform/inference/local/worker.ts: at once for a job past the allowance, and once
   * idle), waited for, then read.
   */
  steadyAfter50Mb: number;
  withinBudget: boolean;
  /** The worker's releases after the last mixed generation, in order (at once and once idle). */
  releasedAfterMixed: ("vae" | "model")[];
  /** Seconds from the last mixed generation's answer to the worker's last release after it (0 when none came). */
  steadyAfterSeconds: number;
  /** The large job's figures; null when BENCH_LARGE_STEPS=0 skipped it. */
  largeJobPeakMb: number | null;
  afterLargeJobMb: number | null;
  /** The worker's releases after the large job, in order. */
  releasedAfterLargeJob: ("vae" | "model")[];
  settledAfterLargeJobMb: number | null;
  /** Whether the resident set once the large job was released is within 10 % (at least 32 MB) of `idleMb`. */
  backNearIdleAfterLargeJob: boolean | null;
  progressPolls: number;
  progressMedianMs: number;
  progressMaxMs: number;
}

/**
 * Waits until the worker has returned what the jobs grew (lib/platform/inference/local/worker.ts): its release right
 * after the last job, when that job grew the model past its allowance, and its idle release 10 load times (at least
 * 5 s) later, when the model is still more than 64 MB above its loaded size. Returns once no "memory released" line
 * has come for that pause plus two load times and a second.
 */
async function waitForReleases(server: BenchServer): Promise<void> {
  const lastLoadMs = server.loads.at(-1) ?? 500;
  const quietMs = Math.max(5_000, 10 * lastLoadMs) + 2 * lastLoadMs + 1_000;
  let seen = server.releases.length;
  let quietSince = performance.now();
  while (performance.now() - quietSince < quietMs) {
    await new Promise((r) => setTimeout(r, 100));
    if (server.releases.length > seen) {
      seen = server.releases.length;
      quietSince = performance.now();
    }
  }
}

async function memory(model: BenchModel, server: BenchServer): Promise<MemoryResult> {
  const modelFilesMb = mb(await folderBytes(model.dir));
  const idleMb = server.rssMb();
  const latencies: number[] = [];
  let polling = true;
  let peak = 0;
  const samples: number[] = [];
  const poller = (async () => {
    while (polling) {
      const start = performance.now();
      const progress = (await (await fetch(`${server.base}/sdapi/v1/progress`)).json()) as { progress: number };
      if (progress.progress > 0) latencies.push(performance.now() - start);
      const rss = server.rssMb();
      peak = Math.max(peak, rss);
      samples.push(rss);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const every10: number[] = [];
  const releasesBeforeMixed = server.releases.length;
  for (let g = 0; g < generations; g++) {
    const [width, height, batch_size, n_iter] = MIXED[g % MIXED.length]!;
    await server.txt2img({ prompt: `memory ${g}`, seed: g, steps: mixedSteps, width, height, batch_size, n_iter, sampler_name: g % 2 ? "Euler a" : "DPM++ 2M" });
    if ((g + 1) % 10 === 0) every10.push(round1(server.rssMb()));
  }
  const lastAnswer = performance.now();
  const during = samples.splice(0);
  const releasedDuringMixed = server.releases.slice(releasesBeforeMixed).map((r) => r.by);
  await new Promise((r) => setTimeout(r, 2 * Math.max(...server.loads)));
  const rightAfter50Mb = server.rssMb();
  await waitForReleases(server);
  const lastRelease = server.releases.at(-1)?.at;
  const steadyAfterMs = lastRelease !== undefined && lastRelease > lastAnswer ? lastRelease - lastAnswer : 0;
  const releasedAfterMixed = server.releases.slice(releasesBeforeMixed + releasedDuringMixed.length).map((r) => r.by);
  const steadyAfter50Mb = server.rssMb();
  peak = 0;
  const releasesBeforeLarge = server.releases.length;
  if (largeJobSteps > 0) {
    await server.txt2img({ prompt: "a large job", seed: 7, steps: largeJobSteps, width: 1024, height: 1024, batch_size: 2, sampler_name: "Euler" });
  }
  const largeJobPeakMb = peak;
  const afterLargeJobMb = server.rssMb();
  polling = false;
  await poller;
  if (largeJobSteps > 0) await waitForReleases(server);
  const releasedAfterLargeJob = server.releases.slice(releasesBeforeLarge).map((r) => r.by);
  const settled = server.rssMb();
  const large = (x: number) => (largeJobSteps > 0 ? round1(x) : null);
  return {
    serverStartedMb: round1(server.startedRssMb),
    modelFilesMb: round1(modelFilesMb),
    budgetMb: round1(modelFilesMb + 300),
    idleMb: round1(idleMb),
    every10Mb: every10,
    duringMixedMedianMb: round1(median(during)),
    duringMixedMaxMb: round1(Math.max(...during)),
    vaeReopensDuringMixed: releasedDuringMixed.filter((by) => by === "vae").length,
    modelReloadsDuringMixed: releasedDuringMixed.filter((by) => by === "model").length,
    rightAfter50Mb: round1(rightAfter50Mb),
    steadyAfter50Mb: round1(steadyAfter50Mb),
    withinBudget: steadyAfter50Mb <= modelFilesMb + 300,
    releasedAfterMixed,
    steadyAfterSeconds: round1(steadyAfterMs / 1000),
    largeJobPeakMb: large(largeJobPeakMb),
    afterLargeJobMb: large(afterLargeJobMb),
    releasedAfterLargeJob,
    settledAfterLargeJobMb: large(settled),
    backNearIdleAfterLargeJob: largeJobSteps > 0 ? settled <= idleMb + Math.max(32, idleMb * 0.1) : null,
    progressPolls: latencies.length,
    progressMedianMs: latencies.length ? round1(median(latencies)) : -1,
    progressMaxMs: latencies.length ? round1(Math.max(...latencies)) : -1,
  };
}

const results: Record<string, unknown> = {};
for (const model of await models()) {
  console.log(`\n${model.name}: ${model.dir}`);
  const server = await startServer(model.dir);
  try {
    const s = await speed(model, server);
    console.log(`${model.name}: Serena through HTTP ÷ floor = ${s.ratio.toFixed(3)} (median of ${s.rounds} interleaved rounds, ${s.steps} steps; target ≤ 1.10)`);
    console.table({ floor: s.floorMs, http: s.httpMs, "in-process": s.inProcessMs, ...s.breakdown, "s/it": s.secondsPerIteration, "RSS after warm-up (MB)": s.rssAfterWarmupMb, "load (ms)": s.loadMs.server });
    const m = model.memory && generations > 0 ? await memory(model, server) : null;
    if (m) {
      console.table(m);
      const verdict = m.withinBudget ? "within" : "OVER";
      console.log(
        `${model.name}: steady RSS after ${generations} mixed generations = ${m.steadyAfter50Mb.toFixed(0)} MB, ${verdict} model files + 300 MB = ` +
          `${m.budgetMb.toFixed(0)} MB (steady ${m.steadyAfterSeconds} s after the last answer; right after it ${m.rightAfter50Mb.toFixed(0)} MB, ` +
          `while they ran median ${m.duringMixedMedianMb.toFixed(0)} / largest ${m.duringMixedMaxMb.toFixed(0)} MB)` +
          (m.settledAfterLargeJobMb === null ? "" : `; after the large job, released: ${m.settledAfterLargeJobMb.toFixed(0)} MB against ${m.idleMb.toFixed(0)} MB idle before the phase`),
      );
    }
    results[model.name] = { dir: model.dir, speed: s, memory: m };
  } finally {
    await server.stop();
  }
}

const summary = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  loadAverageAtEnd: os.loadavg().map((x) => round2(x)),
  size: `${SIZE}x${SIZE}`,
  sampler: "Euler",
  ortThreads: threads || "onnxruntime default",
  executionProviders: providers,
  models: results,
};
// Models not run this time keep their last figures (a full-size run takes long; BENCH_MODELS picks what to redo).
const file = path.join(ROOT, "bench-results", "bench.json");
const previous = existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as { models?: Record<string, { date?: string }> }) : {};
for (const [name, figures] of Object.entries(previous.models ?? {})) {
  if (!(name in results)) results[name] = { date: figures.date ?? "earlier run", ...figures };
}
for (const name of Object.keys(results)) (results[name] as { date?: string }).date ??= summary.date;
await mkdir(path.dirname(file), { recursive: true });
await writeFile(file, JSON.stringify(summary, null, 2) + "\n");
console.log(`\nload average at the end: ${summary.loadAverageAtEnd.join(" ")} on ${summary.cpus} CPUs; wrote bench-results/bench.json`);
