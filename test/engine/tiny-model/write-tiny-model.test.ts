import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  CLIP_TOKENIZER_SOURCES,
  ensureTinyModel,
  TINY_MODEL_VARIANTS,
  tinyModelSpec,
  writeTinyModel,
} from "../../../lib/engine/tiny-model/index.ts";
import type { TinyModelVariant } from "../../../lib/engine/tiny-model/index.ts";

const { onnx } = onnxProto;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
}

let root: string;
const folders = new Map<TinyModelVariant, string>();
const generationMs = new Map<TinyModelVariant, number>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "tiny-model-"));
  for (const variant of TINY_MODEL_VARIANTS) {
    const dir = join(root, variant);
    const start = performance.now();
    await writeTinyModel(dir, variant);
    generationMs.set(variant, performance.now() - start);
    folders.set(variant, dir);
  }
});

// Folder layout of docs/engine-reference.md §1.1; external data file names of §1.4 (diffusers: weights.pb, optimum:
// model.onnx_data); optimum writes a config.json per submodel (§1.2, §1.3: vae_decoder/config.json has scaling_factor).
const COMMON_FILES = [
  "model_index.json",
  "scheduler/scheduler_config.json",
  "text_encoder/model.onnx",
  "tokenizer/merges.txt",
  "tokenizer/special_tokens_map.json",
  "tokenizer/tokenizer_config.json",
  "tokenizer/vocab.json",
  "unet/model.onnx",
  "vae_decoder/model.onnx",
  "vae_encoder/model.onnx",
];
const OPTIMUM_CONFIGS = ["text_encoder/config.json", "unet/config.json", "vae_decoder/config.json", "vae_encoder/config.json"];

describe("writeTinyModel writes a complete diffusers/optimum ONNX folder", () => {
  it.each([
    ["sd1-diffusers", "weights.pb", false],
    ["sd1-diffusers-fp16", "weights.pb", false],
    ["sd1-optimum-1.22", null, true],
    ["sd2-optimum-1.23", "model.onnx_data", true],
    ["sd1-optimum-1.24", "model.onnx_data", true],
  ] as const)("%s: external data %s, optimum configs %s", async (variant, externalData, optimumConfigs) => {
    const expected = [...COMMON_FILES];
    if (externalData !== null) expected.push(`unet/${externalData}`);
    if (optimumConfigs) expected.push(...OPTIMUM_CONFIGS);
    expect(await listFiles(folders.get(variant)!)).toEqual(expected.sort());
  });

  it.each([
    ["sd1-diffusers", "weights.pb"],
    ["sd1-optimum-1.24", "model.onnx_data"],
  ] as const)("%s: the UNet weights live in %s, tiling it exactly (onnx external data layout)", async (variant, file) => {
    const dir = folders.get(variant)!;
    const model = onnx.ModelProto.decode(await readFile(join(dir, "unet/model.onnx")));
    const initializers = model.graph?.initializer ?? [];
    const external = initializers.filter((tensor) => tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
    const entries = external.map((tensor) => Object.fromEntries((tensor.externalData ?? []).map((entry) => [entry.key, entry.value])));
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((entry) => entry.location))).toEqual(new Set([file]));
    const ranges = entries.map((entry) => [Number(entry.offset), Number(entry.length)]).sort((a, b) => a[0] - b[0]);
    let end = 0;
    for (const [offset, length] of ranges) {
      expect(offset).toBe(end);
      end = offset + length;
    }
    expect(end).toBe((await stat(join(dir, "unet", file))).size);
    expect(initializers.some((tensor) => tensor.name === "conv.weight" && (tensor.rawData ?? []).length === 0)).toBe(true);
  });

  it("names the pipeline class as each exporter does (docs/engine-reference.md §1.1)", async () => {
    expect((await readJson(join(folders.get("sd1-diffusers")!, "model_index.json")))._class_name).toBe("OnnxStableDiffusionPipeline");
    expect((await readJson(join(folders.get("sd1-optimum-1.24")!, "model_index.json")))._class_name).toBe("StableDiffusionPipeline");
  });

  it("records the SD VAE scaling factor 0.18215 in the optimum vae_decoder/config.json (docs/engine-reference.md §1.3)", async () => {
    const config = await readJson(join(folders.get("sd1-optimum-1.24")!, "vae_decoder/config.json"));
    expect(config.scaling_factor).toBe(0.18215);
  });
});

describe("scheduler_config.json", () => {
  // SD 1.5 values from docs/engine-reference.md §1.1 (bigdataai-lab/stable-diffusion-v1-5); SD 2.x-768 uses v_prediction.
  it.each(TINY_MODEL_VARIANTS)("%s has the scaled_linear 0.00085–0.012 schedule over 1000 steps", async (variant) => {
    const config = await readJson(join(folders.get(variant)!, "scheduler/scheduler_config.json"));
    expect(config).toMatchObject({ beta_start: 0.00085, beta_end: 0.012, beta_schedule: "scaled_linear", num_train_timesteps: 1000 });
    expect(config.prediction_type).toBe(variant.startsWith("sd2") ? "v_prediction" : "epsilon");
  });
});

describe("tokenizer files", () => {
  it("copies the real CLIP vocabulary and merges byte for byte", async () => {
    const dir = folders.get("sd1-diffusers")!;
    const sourceDir = CLIP_TOKENIZER_SOURCES.find((candidate) => existsSync(join(candidate, "vocab.json")))!;
    for (const file of ["vocab.json", "merges.txt"]) {
      expect((await readFile(join(dir, "tokenizer", file))).equals(await readFile(join(sourceDir, file))), file).toBe(true);
    }
    const vocab = await readJson(join(dir, "tokenizer/vocab.json"));
    // docs/engine-reference.md §6.1/§6.2: 49,408 entries, <|startoftext|> 49406, <|endoftext|> 49407, "cat</w>" 2368.
    expect(Object.keys(vocab)).toHaveLength(49408);
    expect(vocab["<|startoftext|>"]).toBe(49406);
    expect(vocab["<|endoftext|>"]).toBe(49407);
    expect(vocab["cat</w>"]).toBe(2368);
  });

  // docs/engine-reference.md §6.1: SD 1.x pads with <|endoftext|>, SD 2.x with "!" (id 0).
  it.each([
    ["sd1-diffusers", "<|endoftext|>"],
    ["sd1-optimum-1.24", "<|endoftext|>"],
    ["sd2-optimum-1.23", "!"],
  ] as const)("%s pads with %s", async (variant, pad) => {
    const dir = folders.get(variant)!;
    expect((await readJson(join(dir, "tokenizer/tokenizer_config.json"))).pad_token).toBe(pad);
    expect((await readJson(join(dir, "tokenizer/special_tokens_map.json"))).pad_token).toBe(pad);
    const vocab = await readJson(join(dir, "tokenizer/vocab.json"));
    expect(vocab[pad]).toBe(pad === "!" ? 0 : 49407);
  });
});

describe("determinism", () => {
  it.each(TINY_MODEL_VARIANTS)("%s: the same variant and seed give byte-identical files", async (variant) => {
    const again = join(root, `${variant}-again`);
    await writeTinyModel(again, variant);
    const files = await listFiles(again);
    expect(files).toEqual(await listFiles(folders.get(variant)!));
    for (const file of files) {
      const first = await readFile(join(folders.get(variant)!, file));
      expect(first.equals(await readFile(join(again, file))), file).toBe(true);
    }
  });

  it("another seed gives other weights", async () => {
    const other = join(root, "other-seed");
    await writeTinyModel(other, "sd1-diffusers", { seed: 7 });
    const first = await readFile(join(folders.get("sd1-diffusers")!, "unet/weights.pb"));
    expect(first.equals(await readFile(join(other, "unet/weights.pb")))).toBe(false);
  });
});

describe("size and speed", () => {
  it.each(TINY_MODEL_VARIANTS)("%s stays small: under 12 MB in all, the UNet under 64 KB", async (variant) => {
    const dir = folders.get(variant)!;
    let total = 0;
    for (const file of await listFiles(dir)) total += (await stat(join(dir, file))).size;
    expect(total).toBeLessThan(12 * 2 ** 20);
    const spec = tinyModelSpec(variant);
    const unetFiles = ["model.onnx", ...(spec.unetExternalData === null ? [] : [spec.unetExternalData])];
    let unet = 0;
    for (const file of unetFiles) unet += (await stat(join(dir, "unet", file))).size;
    expect(unet).toBeLessThan(64 * 1024);
  });

  it.each(TINY_MODEL_VARIANTS)("%s generates in under 3 seconds", (variant) => {
    expect(generationMs.get(variant)).toBeLessThan(3000);
  });
});

describe("ensureTinyModel", () => {
  it("generates once into the cache and then reuses the folder", async () => {
    const cache = await mkdtemp(join(tmpdir(), "tiny-cache-"));
    const first = await ensureTinyModel(cache, "sd1-optimum-1.24");
    const written = (await stat(join(first, "unet/model.onnx"))).mtimeMs;
    const second = await ensureTinyModel(cache, "sd1-optimum-1.24");
    expect(second).toBe(first);
    expect((await stat(join(second, "unet/model.onnx"))).mtimeMs).toBe(written);
    expect(await listFiles(first)).toEqual(await listFiles(folders.get("sd1-optimum-1.24")!));
  });

  it("names the folder after the variant, so the model's name is the variant", async () => {
    const cache = await mkdtemp(join(tmpdir(), "tiny-cache-"));
    expect((await ensureTinyModel(cache, "sd2-optimum-1.23")).endsWith("/sd2-optimum-1.23")).toBe(true);
  });

  it("survives concurrent callers and leaves no staging folders behind", async () => {
    const cache = await mkdtemp(join(tmpdir(), "tiny-cache-"));
    const paths = await Promise.all([1, 2, 3].map(() => ensureTinyModel(cache, "sd1-diffusers")));
    expect(new Set(paths).size).toBe(1);
    const parent = join(paths[0], "..");
    expect(await readdir(parent)).toEqual(["sd1-diffusers"]);
    expect(await listFiles(paths[0])).toEqual(await listFiles(folders.get("sd1-diffusers")!));
  });
});
