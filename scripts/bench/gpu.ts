/**
 * The GPU bench: one script a device machine runs (it has no Node and no npm registry, so scripts/bench/gpu-pack.sh
 * bundles this file with esbuild and packs Node, onnxruntime-node's linux/x64 binding and sharp beside it;
 * docs/engine.md "GPU" has the command). In three phases, each printing `GPU {json}` lines and rewriting
 * `$GPU_OUT/gpu.json` as it goes, so a run cut short keeps what it measured:
 *
 * 1. probe: for each execution provider in GPU_EPS, a session per component of a small model (GPU_PROBE_PRESET,
 *    fp16) and one generation's worth of calls through it (scripts/bench/floor.ts at 64², one step), the exact error
 *    where it fails; then the same UNet with `preferredOutputLocation: "gpu-buffer"` and its output fed back as the
 *    next call's input (latents kept on the device).
 * 2. model: GPU_PRESET (default `sd15`, full size) in GPU_DTYPE (fp16) written by the project's model builder
 *    (lib/engine/model-builder), no VAE encoder; skipped when GPU_MODEL_DIR already holds it.
 * 3. bench, per provider that passed the probe, sessions opened with the engine's options (load-model.ts
 *    `sessionOptions`, as the local backend's worker passes them), warmed up once, then GPU_ROUNDS interleaved rounds
 *    at GPU_SIZE², GPU_STEPS steps, Euler:
 *    - floor: the bare calls (text encoder once at batch 2, GPU_STEPS UNet calls at batch 2, VAE decode);
 *    - engine: Serena's A1111 txt2img in this process (scripts/bench/breakdown.ts, every `session.run` timed);
 *    - device: the floor with the text encoder's and UNet's outputs left on the device (`gpu-buffer`), each UNet
 *      output fed back as the next call's `sample`, the last call's output read back to the CPU;
 *    - floor-tuned, when GPU_WEBGPU_OPTIONS is set (JSON, e.g. {"validationMode":"disabled"}): the floor with those
 *      WebGPU provider options.
 *    it/s is steps per second of the sampling loop: 1000 ÷ (UNet ms per step) for the floor and the device loop,
 *    1000 ÷ (UNet + JavaScript ms per step) for the engine.
 *
 * Environment: GPU_EPS (webgpu,cuda), GPU_PRESET (sd15), GPU_DTYPE (fp16), GPU_PROBE_PRESET (sd15-tiny),
 * GPU_WEBGPU_OPTIONS, GPU_MODEL_DIR ($TMPDIR/serena-gpu/PRESET-DTYPE), GPU_OUT (bench-results/gpu), GPU_ROUNDS (3), GPU_STEPS (20),
 * GPU_SIZE (512), GPU_DEADLINE_S (no new phase or round starts after this many seconds), GPU_PROBE_ONLY=1 (phase 1
 * only), GPU_DEVICE_LOOP=0 (no device loop: gpu-run.sh sets it when the loop's probe failed or crashed), GPU_DEVICE_LOCATION (gpu-buffer; `cpu` runs the device loop's code on the CPU provider, for a test without a
 * GPU), GPU_TOKENIZER_DIR (assets/clip-tokenizer under the working directory: run it from the repository root).
 */
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import type { OnnxValueDataLocation } from "onnxruntime-node";
import { isModelPreset, MODEL_PRESETS, writeModel } from "../../lib/engine/model-builder/index.ts";
import type { FloatType } from "../../lib/engine/model-builder/index.ts";
import { sessionOptions, type LoadModelOptions } from "../../lib/engine/model/load-model.ts";
import { floatTensor } from "../../lib/engine/model/tensor-io.ts";
import { openInProcess, type Breakdown } from "./breakdown.ts";
import { noise, openFloor, type FloorTimes } from "./floor.ts";

const env = process.env;
const started = performance.now();
const eps = (env.GPU_EPS ?? "webgpu,cuda").split(",").map((p) => p.trim().toLowerCase()).filter(Boolean);
const preset = env.GPU_PRESET ?? "sd15";
const probePreset = env.GPU_PROBE_PRESET ?? "sd15-tiny";
const dtype = env.GPU_DTYPE ?? "fp16";
const floatType: FloatType = dtype === "fp32" ? "float32" : "float16";
const modelDir = path.resolve(env.GPU_MODEL_DIR ?? path.join(os.tmpdir(), "serena-gpu", `${preset}-${dtype}`));
const outDir = path.resolve(env.GPU_OUT ?? "bench-results/gpu");
const rounds = Number(env.GPU_ROUNDS ?? 3);
const steps = Number(env.GPU_STEPS ?? 20);
const size = Number(env.GPU_SIZE ?? 512);
const deadlineS = Number(env.GPU_DEADLINE_S ?? Infinity);
const tokenizerDir = path.resolve(env.GPU_TOKENIZER_DIR ?? "assets/clip-tokenizer");
const probeOnly = env.GPU_PROBE_ONLY === "1";
/** Where the device loop keeps outputs: "gpu-buffer", or "cpu" to try its code on a machine without a GPU. */
const deviceLocation = (env.GPU_DEVICE_LOCATION ?? "gpu-buffer") as OnnxValueDataLocation;
const withDeviceLoop = (ep: string) => env.GPU_DEVICE_LOOP !== "0" && (ep !== "cpu" || deviceLocation === "cpu");
if (!isModelPreset(preset) || !isModelPreset(probePreset)) throw new Error(`unknown preset ${preset} or ${probePreset}`);

const elapsedS = () => (performance.now() - started) / 1000;
const pastDeadline = () => elapsedS() > deadlineS;
const median = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? NaN : sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const r2 = (x: number) => Number(x.toFixed(2));
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  host: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: r2(os.totalmem() / 2 ** 30) },
  settings: { eps, preset, dtype, probePreset, size, steps, rounds, sampler: "Euler", modelDir },
  probe: {},
  model: null,
  bench: {},
};
async function report(key: string, value: unknown): Promise<void> {
  console.log(`GPU ${JSON.stringify({ t: r2(elapsedS()), [key]: value })}`);
  await writeFile(path.join(outDir, "gpu.json"), JSON.stringify(results, null, 2) + "\n");
}

const webgpuOptions = env.GPU_WEBGPU_OPTIONS ? (JSON.parse(env.GPU_WEBGPU_OPTIONS) as Record<string, string>) : null;

/** What the local backend's worker thread passes to loadEngine (lib/platform/inference/local/worker.ts), per provider. */
const optionsFor = (ep: string): LoadModelOptions => ({ allowSpinning: false, executionProviders: [ep] });


/** An output as an input: float16 CPU data pinned to a Uint16Array view (onnxruntime-node 1.30, lib/engine/model/float16.ts). */
function asInput(tensor: Tensor): Tensor {
  if (tensor.location !== "cpu" || tensor.type !== "float16") return tensor;
  const data = tensor.data as Float16Array | Uint16Array;
  const bits = new Uint16Array(data.buffer, data.byteOffset, data.length);
  const input = new Tensor("float16", bits, tensor.dims);
  Object.defineProperty(input, "data", { value: bits });
  return input;
}

interface DeviceTimes {
  readonly totalMs: number;
  readonly textEncoderMs: number;
  /** The UNet calls, the last one reading its output back to the CPU. */
  readonly unetMs: number;
  readonly vaeMs: number;
  readonly outputLocation: string;
}

interface DeviceLoop {
  /** `trace` prints each stage before it runs, so a crash in the native binding shows where it happened. */
  run(width: number, height: number, steps: number, trace?: boolean): Promise<DeviceTimes>;
  release(): Promise<void>;
}

/**
 * The floor with the text encoder's and UNet's outputs left on the device: each UNet output is the next call's
 * `sample` (the values are not a sampler's; the cost is the same), read back once after the last step.
 */
async function openDeviceLoop(dir: string, options: LoadModelOptions): Promise<DeviceLoop> {
  const base = sessionOptions(options);
  const onDevice: InferenceSession.SessionOptions = { ...base, preferredOutputLocation: deviceLocation };
  // The last UNet call goes through a second session whose output comes back to the CPU: reading a gpu-buffer
  // output with Tensor.getData() aborts the process in onnxruntime-node 1.30 ("terminate called after throwing an
  // instance of 'char const*'", seen on WebGPU).
  const [textEncoder, unet, unetLast, vae] = await Promise.all([
    InferenceSession.create(path.join(dir, "text_encoder", "model.onnx"), onDevice),
    InferenceSession.create(path.join(dir, "unet", "model.onnx"), onDevice),
    InferenceSession.create(path.join(dir, "unet", "model.onnx"), base),
    InferenceSession.create(path.join(dir, "vae_decoder", "model.onnx"), base),
  ]);
  const typeOf = (session: InferenceSession, name: string): FloatType => {
    const m = session.inputMetadata.find((x) => x.name === name);
    if (!m?.isTensor || (m.type !== "float32" && m.type !== "float16")) throw new Error(`no float input ${name}`);
    return m.type;
  };
  const unetType = typeOf(unet, "sample");
  const vaeType = typeOf(vae, "latent_sample");
  const timestepMeta = unet.inputMetadata.find((x) => x.name === "timestep");
  const timestep = (t: number) => {
    if (timestepMeta?.isTensor && timestepMeta.type === "int64") return new Tensor("int64", BigInt64Array.of(BigInt(t)), [1]);
    return floatTensor(timestepMeta?.isTensor && timestepMeta.type === "float16" ? "float16" : "float32", Float32Array.of(t), [1]);
  };
  const outName = unet.outputNames[0]!;
  const ids = new Tensor("int64", BigInt64Array.from({ length: 154 }, (_, i) => BigInt(i % 77 === 0 ? 49406 : 49407)), [2, 77]);
  return {
    async run(width, height, count, trace = false) {
      const stage = (what: string) => trace && console.log(`GPU stage: ${what}`);
      const [h, w] = [height / 8, width / 8];
      const t0 = performance.now();
      stage(`text encoder, outputs at ${deviceLocation}`);
      const encoded = await textEncoder.run({ input_ids: ids });
      const hidden = asInput(encoded["last_hidden_state"]!);
      for (const [name, value] of Object.entries(encoded)) if (name !== "last_hidden_state") value.dispose();
      const t1 = performance.now();
      let sample: Tensor = floatTensor(unetType, noise(2 * 4 * h * w, 0x2545f491), [2, 4, h, w]);
      let location = "";
      for (let i = 0; i < count; i++) {
        const last = i === count - 1;
        stage(`UNet call ${i + 1}${last ? " (output to the CPU)" : ""}: sample at ${sample.location}, encoder_hidden_states at ${hidden.location}`);
        const out = await (last ? unetLast : unet).run({ sample, timestep: timestep(999 - i * 50), encoder_hidden_states: hidden });
        const next = asInput(out[outName]!);
        if (!last) location = next.location;
        if (i > 0) sample.dispose();
        sample = next;
      }
      const t2 = performance.now();
      hidden.dispose();
      stage("VAE decode");
      await vae.run({ latent_sample: floatTensor(vaeType, noise(4 * h * w, 0x2545f491), [1, 4, h, w]) });
      const t3 = performance.now();
      return { totalMs: t3 - t0, textEncoderMs: t1 - t0, unetMs: t2 - t1, vaeMs: t3 - t2, outputLocation: location };
    },
    async release() {
      await Promise.all([textEncoder.release(), unet.release(), unetLast.release(), vae.release()]);
    },
  };
}

async function generate(dir: string, name: string): Promise<number> {
  if (existsSync(path.join(dir, "model_index.json"))) return 0;
  const t = performance.now();
  await rm(dir, { recursive: true, force: true });
  await writeModel(dir, MODEL_PRESETS[name as keyof typeof MODEL_PRESETS], { floatType, linearWeights: "folded", withoutVaeEncoder: true, tokenizerDir });
  return performance.now() - t;
}

await mkdir(outDir, { recursive: true });
console.log(`GPU bench: EPs ${eps.join(", ")}; ${preset} ${dtype} at ${size}², ${steps} steps, ${rounds} rounds; out ${outDir}`);

// 1. Probe.
const probeDir = path.join(os.tmpdir(), "serena-gpu", `${probePreset}-${dtype}`);
const probeGenMs = await generate(probeDir, probePreset);
const probe = results.probe as Record<string, unknown>;
const working: string[] = [];
for (const ep of eps) {
  const entry: Record<string, unknown> = {};
  probe[ep] = entry;
  try {
    const t = performance.now();
    const floor = await openFloor(probeDir, optionsFor(ep));
    entry.openMs = Math.round(performance.now() - t);
    const times = await floor.run(64, 64, 1);
    entry.firstRunMs = Math.round(times.totalMs);
    entry.secondRunMs = Math.round((await floor.run(64, 64, 1)).totalMs);
    await floor.release();
    entry.ok = true;
    working.push(ep);
  } catch (error) {
    entry.ok = false;
    entry.error = message(error);
  }
  await report("probe", { ep, probeModelMs: Math.round(probeGenMs), ...entry });
  if (entry.ok && withDeviceLoop(ep)) {
    try {
      const loop = await openDeviceLoop(probeDir, optionsFor(ep));
      const times = await loop.run(64, 64, 2, true);
      entry.deviceLoop = { ok: true, outputLocation: times.outputLocation, ms: Math.round(times.totalMs) };
      await loop.release();
    } catch (error) {
      entry.deviceLoop = { ok: false, error: message(error) };
    }
    await report("probe", { ep, deviceLoop: entry.deviceLoop });
  }
}

// 2. Model.
if (working.length > 0 && !probeOnly && !pastDeadline()) {
  const t = performance.now();
  console.log(`GPU generating ${preset} ${dtype} into ${modelDir} …`);
  const ms = await generate(modelDir, preset);
  results.model = { dir: modelDir, generatedMs: Math.round(ms), reused: ms === 0, wallMs: Math.round(performance.now() - t) };
  await report("model", results.model);
}

// 3. Bench.
for (const ep of working) {
  if (pastDeadline() || results.model === null) break;
  const entry: Record<string, unknown> = { loadMs: {} };
  (results.bench as Record<string, unknown>)[ep] = entry;
  const loadMs = entry.loadMs as Record<string, number | string>;
  const options = optionsFor(ep);
  const timeLoad = async <T>(key: string, open: () => Promise<T>): Promise<T | null> => {
    const t = performance.now();
    try {
      const value = await open();
      loadMs[key] = Math.round(performance.now() - t);
      return value;
    } catch (error) {
      loadMs[key] = `failed: ${message(error)}`;
      return null;
    }
  };
  const floor = await timeLoad("floor", () => openFloor(modelDir, options));
  const engine = await timeLoad("engine", () => openInProcess(modelDir, options));
  const device = !withDeviceLoop(ep) ? null : await timeLoad("device", () => openDeviceLoop(modelDir, options));
  const tunedOptions: LoadModelOptions = { ...options, executionProviders: [{ name: ep, ...webgpuOptions }] };
  const tuned = ep === "webgpu" && webgpuOptions ? await timeLoad("floorTuned", () => openFloor(modelDir, tunedOptions)) : null;
  entry.webgpuOptions = tuned ? webgpuOptions : null;
  await report("load", { ep, loadMs });

  const floors: FloorTimes[] = [];
  const engines: Breakdown[] = [];
  const devices: DeviceTimes[] = [];
  const tuneds: FloorTimes[] = [];
  const failures: Record<string, string> = {};
  entry.failures = failures;
  const ways: [string, (round: number) => Promise<unknown>][] = [];
  if (floor) ways.push(["floor", async () => floors.push(await floor.run(size, size, steps))]);
  if (engine) ways.push(["engine", async (round) => engines.push(await engine.run(size, size, steps, round + 1))]);
  if (device) ways.push(["device", async () => devices.push(await device.run(size, size, steps))]);
  if (tuned) ways.push(["floorTuned", async () => tuneds.push(await tuned.run(size, size, steps))]);

  const summarise = () => {
    const perStep = (xs: readonly number[]) => r2(median(xs) / steps);
    const floorUnet = perStep(floors.map((f) => f.unetMs));
    const engineUnet = r2(median(engines.map((e) => e.unetMsPerStep)));
    const engineJs = r2(median(engines.map((e) => e.jsMsPerStep)));
    const deviceUnet = perStep(devices.map((d) => d.unetMs));
    const n = Math.min(floors.length, engines.length);
    return {
      rounds: { floor: floors.length, engine: engines.length, device: devices.length },
      floor: floors.length ? { totalMs: r2(median(floors.map((f) => f.totalMs))), textEncoderMs: r2(median(floors.map((f) => f.textEncoderMs))), unetMsPerStep: floorUnet, vaeMs: r2(median(floors.map((f) => f.vaeMs))), itPerS: r2(1000 / floorUnet) } : null,
      engine: engines.length
        ? {
            totalMs: r2(median(engines.map((e) => e.totalMs))),
            tokeniseMs: r2(median(engines.map((e) => e.tokeniseMs))),
            textEncoderMs: r2(median(engines.map((e) => e.textEncoderMs))),
            unetMsPerStep: engineUnet,
            jsMsPerStep: engineJs,
            vaeMs: r2(median(engines.map((e) => e.vaeMs))),
            pixelsMs: r2(median(engines.map((e) => e.pixelsMs))),
            pngMs: r2(median(engines.map((e) => e.pngMs))),
            itPerS: r2(1000 / (engineUnet + engineJs)),
          }
        : null,
      device: devices.length ? { totalMs: r2(median(devices.map((d) => d.totalMs))), textEncoderMs: r2(median(devices.map((d) => d.textEncoderMs))), unetMsPerStep: deviceUnet, vaeMs: r2(median(devices.map((d) => d.vaeMs))), itPerS: r2(1000 / deviceUnet), outputLocation: devices[0]!.outputLocation } : null,
      floorTuned: tuneds.length ? { totalMs: r2(median(tuneds.map((f) => f.totalMs))), unetMsPerStep: perStep(tuneds.map((f) => f.unetMs)), vaeMs: r2(median(tuneds.map((f) => f.vaeMs))), itPerS: r2(1000 / perStep(tuneds.map((f) => f.unetMs))) } : null,
      /** Median over rounds of engine total ÷ floor total of the same round (no HTTP, no base64). */
      engineOverFloor: n ? Number(median(Array.from({ length: n }, (_, i) => engines[i]!.totalMs / floors[i]!.totalMs)).toFixed(3)) : null,
    };
  };

  // Warm-up: each way once (shader compilation, arena growth), not counted.
  const warmup: Record<string, number | string> = {};
  entry.warmupMs = warmup;
  for (const [name, way] of ways) {
    const t = performance.now();
    try {
      await way(0);
      warmup[name] = Math.round(performance.now() - t);
    } catch (error) {
      warmup[name] = `failed: ${message(error)}`;
      failures[name] = message(error);
    }
    await report("warmup", { ep, [name]: warmup[name] });
  }
  floors.length = 0;
  engines.length = 0;
  devices.length = 0;
  tuneds.length = 0;
  const live = ways.filter(([name]) => !(name in failures));
  for (let round = 0; round < rounds && (round === 0 || !pastDeadline()); round++) {
    for (let k = 0; k < live.length; k++) {
      const [name, way] = live[(round + k) % live.length]!;
      try {
        await way(round);
      } catch (error) {
        failures[name] = message(error);
      }
    }
    entry.summary = summarise();
    await report("round", { ep, round: round + 1, summary: entry.summary });
  }
  await Promise.all([floor?.release(), engine?.release(), device?.release(), tuned?.release()]);
}
results.elapsedS = r2(elapsedS());
await report("done", { elapsedS: results.elapsedS });
process.exit(0);
