/**
 * LoRA and textual-inversion embeddings on SDXL through the A1111 edge, on model-builder's sdxl-tiny export (the real module-scoped names, folded
 * Linear weights): kohya's `lora_te1_` modules change text_encoder, `lora_te2_` modules text_encoder_2, `lora_unet_`
 * modules the UNet. The reference is a copy of the export with the deltas merged offline from the model builder's own
 * parameter list and the test's own up·down product (A1111 extensions-builtin/Lora/network_lora.py `calc_updown`:
 * up @ down × multiplier × alpha / rank). text_encoder_2 is OpenCLIP in A1111, whose fused self-attention takes a
 * layer's q/k/v/out LoRA only when all four are present (networks.py `network_apply_weights`). An SDXL embedding
 * (`clip_l` and `clip_g` tensors) is checked against a copy whose two token tables hold its vectors at the token
 * written in its place (A1111 sd_hijack.py `EmbeddingsWithFixes` reads `vec["clip_l"]` / `vec["clip_g"]` per encoder).
 */
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runA1111Generation } from "../../../lib/a1111/generation/generate.ts";
import { loadEngine, type LoadedEngine } from "../../../lib/engine/engine.ts";
import { buildComponentGraph, DEFAULT_MODEL_SEED, MODEL_PRESETS, parameterValues, writeModel } from "../../../lib/engine/model-builder/index.ts";
import { LoraCatalog } from "../../../lib/engine/networks/lora-catalog.ts";
import { encodeSafetensors, type FixtureTensor } from "../../fixtures/safetensors.ts";
import { pixelsOf, txt2imgJob } from "../../fixtures/engine.ts";
import { copyFolder, readTensor, writeTensor } from "../model/graph-fixtures.ts";
import { loadClipTokenizer } from "../../../lib/engine/tokenizer/clip-tokenizer.ts";

const TINY = MODEL_PRESETS["sdxl-tiny"];
type Component = "unet" | "text_encoder" | "text_encoder_2";

interface TestModule {
  readonly component: Component;
  readonly parameter: string;
  readonly stem: string;
  readonly rank: number;
  readonly alpha: number;
  readonly weightDims: readonly [number, number];
  readonly up: Float32Array;
  readonly down: Float32Array;
}

/** Values exactly representable in float16: multiples of 1/128 in ±0.5, from a fixed-seed LCG. */
function values(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return ((state >>> 8) % 129) / 128 - 0.5;
  });
}

// alpha / rank is a power of two, so the scale is exact whatever order it is applied in.
function module(component: Component, parameter: string, weightDims: readonly [number, number], stem: string, seed: number): TestModule {
  const rank = 2;
  return { component, parameter, stem, rank, alpha: 4, weightDims, up: values(weightDims[0] * rank, seed), down: values(rank * weightDims[1], seed + 1) };
}

const TE1 = module("text_encoder", "text_model.encoder.layers.0.mlp.fc1.weight", [64, 32], "lora_te1_text_model_encoder_layers_0_mlp_fc1", 11);
const TE2 = module("text_encoder_2", "text_model.encoder.layers.1.mlp.fc2.weight", [64, 128], "lora_te2_text_model_encoder_layers_1_mlp_fc2", 13);
const UNET = module("unet", "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight", [32, 96], "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k", 17);
/** A q projection alone on text_encoder_2: A1111's fused OpenCLIP attention leaves it out. */
const TE2_Q_ONLY = module("text_encoder_2", "text_model.encoder.layers.0.self_attn.q_proj.weight", [64, 64], "lora_te2_text_model_encoder_layers_0_self_attn_q_proj", 19);

function loraFile(modules: readonly TestModule[]): Uint8Array {
  const tensors: Record<string, FixtureTensor> = {};
  for (const m of modules) {
    tensors[`${m.stem}.lora_up.weight`] = { dtype: "F16", shape: [m.weightDims[0], m.rank], values: [...m.up] };
    tensors[`${m.stem}.lora_down.weight`] = { dtype: "F16", shape: [m.rank, m.weightDims[1]], values: [...m.down] };
    tensors[`${m.stem}.alpha`] = { dtype: "F16", shape: [], values: [m.alpha] };
  }
  return encodeSafetensors(tensors);
}

function delta(m: TestModule): Float32Array {
  const [out, inner] = m.weightDims;
  const result = new Float32Array(out * inner);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inner; i++) {
      let sum = 0;
      for (let r = 0; r < m.rank; r++) sum += m.up[o * m.rank + r]! * m.down[r * inner + i]!;
      result[o * inner + i] = sum * (m.alpha / m.rank);
    }
  }
  return result;
}

/** Merges `modules` at multiplier 1 into the export copy at `dir`, from the model builder's parameter list. */
async function mergeOffline(dir: string, modules: readonly TestModule[]): Promise<void> {
  for (const m of modules) {
    const parameter = buildComponentGraph(TINY, m.component).parameters.find((p) => p.name === m.parameter);
    if (parameter === undefined) throw new Error(`no parameter ${m.parameter}`);
    const d = delta(m);
    const torchValues = parameterValues(DEFAULT_MODEL_SEED, parameter).map((v, i) => v + d[i]!);
    let stored = torchValues;
    if (parameter.transposed) {
      const [rows, columns] = parameter.dims as [number, number];
      stored = new Float32Array(torchValues.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) stored[c * rows + r] = torchValues[r * columns + c]!;
    }
    await writeTensor(join(dir, m.component, "model.onnx"), parameter.initializer, stored);
  }
}

let root: string;
let loraDir: string;
const engines: LoadedEngine[] = [];
const BODY = { seed: 3, steps: 3, width: 128, height: 128, sampler_name: "Euler", negative_prompt: "blur" };

async function engineAt(dir: string): Promise<LoadedEngine> {
  const engine = await loadEngine(dir, { cacheDir: join(root, "cache"), intraOpNumThreads: 1, embeddingsDir: join(root, "embeddings") });
  engines.push(engine);
  return engine;
}

async function pixels(engine: LoadedEngine, prompt: string): Promise<Buffer> {
  const out = await runA1111Generation(txt2imgJob({ ...BODY, prompt }), engine, {}, { loras: new LoraCatalog(loraDir) });
  return (await pixelsOf(out.images[0]!)).data;
}

let base: LoadedEngine;
let merged: LoadedEngine;
let substituted: LoadedEngine;

/** One vector per encoder: text_encoder's 32 and text_encoder_2's 64 channels (sdxl-tiny's widths). */
const CLIP_L = values(TINY.textEncoder.hidden_size, 101);
const CLIP_G = values(TINY.textEncoder2.config.hidden_size, 103);

/** A copy whose token tables hold the embedding's vectors at `word`'s token. */
async function substitute(dir: string, word: string): Promise<void> {
  const tokenizer = await loadClipTokenizer(join(dir, "tokenizer"));
  const [id] = tokenizer.encode(word);
  for (const [component, vector] of [
    ["text_encoder", CLIP_L],
    ["text_encoder_2", CLIP_G],
  ] as const) {
    const file = join(dir, component, "model.onnx");
    const name = "text_model.embeddings.token_embedding.weight";
    const table = await readTensor(file, name);
    table.values.set(vector, id! * vector.length);
    await writeTensor(file, name, table.values);
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "sdxl-lora-"));
  loraDir = join(root, "Lora");
  await mkdir(loraDir);
  await writeFile(join(loraDir, "xl.safetensors"), loraFile([TE1, TE2, UNET]));
  await writeFile(join(loraDir, "xl-q.safetensors"), loraFile([TE2_Q_ONLY]));
  await writeModel(join(root, "base"), TINY, { withoutVaeEncoder: true });
  await copyFolder(join(root, "base"), join(root, "merged"));
  await mergeOffline(join(root, "merged"), [TE1, TE2, UNET]);
  await mkdir(join(root, "embeddings"));
  await writeFile(
    join(root, "embeddings", "xlemb.safetensors"),
    encodeSafetensors({
      clip_l: { dtype: "F32", shape: [1, CLIP_L.length], values: [...CLIP_L] },
      clip_g: { dtype: "F32", shape: [1, CLIP_G.length], values: [...CLIP_G] },
    }),
  );
  await copyFolder(join(root, "base"), join(root, "substituted"));
  await substitute(join(root, "substituted"), "fox");
  [base, merged, substituted] = [await engineAt(join(root, "base")), await engineAt(join(root, "merged")), await engineAt(join(root, "substituted"))];
}, 60_000);

afterAll(async () => {
  await Promise.all(engines.map((engine) => engine.release()));
});

describe("LoRA on SDXL", () => {
  it("merges lora_te1_, lora_te2_ and lora_unet_ modules into their components: the image of an offline merge", async () => {
    const withLora = await pixels(base, "a lighthouse <lora:xl:1>");
    expect(withLora.equals(await pixels(merged, "a lighthouse"))).toBe(true);
    expect(withLora.equals(await pixels(base, "a lighthouse"))).toBe(false);
  });

  it("leaves out an incomplete q/k/v/out set on text_encoder_2 (A1111's fused OpenCLIP attention)", async () => {
    expect((await pixels(base, "a lighthouse <lora:xl-q:1>")).equals(await pixels(base, "a lighthouse"))).toBe(true);
  });

  it("at multiplier 0 changes nothing", async () => {
    expect((await pixels(base, "a lighthouse <lora:xl:0>")).equals(await pixels(base, "a lighthouse"))).toBe(true);
  });
});

describe("textual-inversion embeddings on SDXL (clip_l and clip_g)", () => {
  it("put clip_l in text_encoder's and clip_g in text_encoder_2's token positions: the image of substituted token tables", async () => {
    const withEmbedding = await pixels(base, "a red xlemb in the snow");
    expect(withEmbedding.equals(await pixels(substituted, "a red fox in the snow"))).toBe(true);
    expect(withEmbedding.equals(await pixels(base, "a red fox in the snow"))).toBe(false);
  });

  it("name the embedding in TI hashes", async () => {
    const out = await runA1111Generation(txt2imgJob({ ...BODY, prompt: "a red xlemb" }), base, {}, { loras: new LoraCatalog(loraDir) });
    expect(out.info.infotexts[0]).toMatch(/TI hashes: "xlemb: [0-9a-f]{12}"/);
  });
});
