/**
 * LoRA tags and textual-inversion embeddings on the real engine, through the A1111 edge (plan, networks, engine,
 * render), on an sd15-tiny export whose graph has the real module-scoped names and folded (transposed, generated-name)
 * Linear weights.
 *
 * References are built outside the code under test: LoRA deltas are merged offline into a copy of the export, from
 * the model builder's own parameter list (state_dict name → initializer, transposed or not) and the test's own
 * up·down product (A1111 networks/network_lora.py `calc_updown`: up @ down, × multiplier × alpha / rank), written
 * with test/engine/model/graph-fixtures.ts; an embedding's reference is a copy whose token table holds its vectors
 * at the tokens written in its place.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPngText } from "../../../lib/a1111/images/png-text.ts";
import { runA1111Generation } from "../../../lib/a1111/generation/generate.ts";
import { errorAnswer } from "../../../lib/a1111/errors.ts";
import { loadEngine, type LoadedEngine } from "../../../lib/engine/engine.ts";
import { buildComponentGraph, DEFAULT_MODEL_SEED, MODEL_PRESETS, parameterValues, writeModel, type ComponentName } from "../../../lib/engine/model-builder/index.ts";
import { LoraCatalog } from "../../../lib/engine/networks/lora-catalog.ts";
import { loadClipTokenizer } from "../../../lib/engine/tokenizer/clip-tokenizer.ts";
import { encodeSafetensors, type FixtureTensor } from "../../fixtures/safetensors.ts";
import { pixelsOf, txt2imgJob } from "../../fixtures/engine.ts";
import { copyFolder, readTensor, writeTensor } from "../model/graph-fixtures.ts";

const TINY = MODEL_PRESETS["sd15-tiny"];

/** One LoRA module as the test builds it: its key stem, the torch parameter it changes, and up/down values. */
interface TestModule {
  readonly component: "unet" | "text_encoder";
  /** The state_dict name of the weight it changes. */
  readonly parameter: string;
  readonly keys: { down: string; up: string; alpha: string | null };
  readonly rank: number;
  readonly alpha: number | null;
  /** [out, rank] and [rank, in·k·k], as the file holds them (flattened). */
  readonly up: Float32Array;
  readonly down: Float32Array;
  readonly weightDims: readonly number[];
}

/** Values exactly representable in float16: multiples of 1/128 in ±0.5, from a fixed-seed LCG. */
function values(count: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return ((state >>> 8) % 129) / 128 - 0.5;
  });
}

function module(
  component: TestModule["component"],
  parameter: string,
  weightDims: readonly number[],
  keys: TestModule["keys"],
  rank: number,
  alpha: number | null,
  seed: number,
): TestModule {
  const [out, ...rest] = weightDims as [number, ...number[]];
  const inner = rest.reduce((a, b) => a * b, 1);
  return { component, parameter, keys, rank, alpha, weightDims, up: values(out * rank, seed), down: values(rank * inner, seed + 1) };
}

const kohya = (stem: string) => ({ down: `${stem}.lora_down.weight`, up: `${stem}.lora_up.weight`, alpha: `${stem}.alpha` });
const peft = (stem: string) => ({ down: `${stem}.lora_A.weight`, up: `${stem}.lora_B.weight`, alpha: null });

/** kohya-ss naming: UNet Linear (self- and cross-attention), LoCon 3×3 and 1×1 convs, text-encoder Linears. */
const LORA_A: TestModule[] = [
  module("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight", [32, 32], kohya("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"), 4, 2, 11),
  module("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight", [32, 32], kohya("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k"), 4, 2, 13),
  module("unet", "down_blocks.0.resnets.0.conv1.weight", [32, 32, 3, 3], kohya("lora_unet_down_blocks_0_resnets_0_conv1"), 2, 1, 17),
  module("unet", "up_blocks.1.attentions.0.proj_in.weight", [32, 32, 1, 1], kohya("lora_unet_up_blocks_1_attentions_0_proj_in"), 2, 2, 19),
  module("text_encoder", "text_model.encoder.layers.0.self_attn.q_proj.weight", [32, 32], kohya("lora_te_text_model_encoder_layers_0_self_attn_q_proj"), 4, 4, 23),
  module("text_encoder", "text_model.encoder.layers.1.mlp.fc1.weight", [64, 32], kohya("lora_te_text_model_encoder_layers_1_mlp_fc1"), 4, 2, 29),
];

/** diffusers/PEFT naming (no alpha: scale 1), touching one module LoRA A also changes. */
const LORA_B: TestModule[] = [
  module("unet", "up_blocks.1.attentions.0.transformer_blocks.0.ff.net.2.weight", [32, 128], peft("unet.up_blocks.1.attentions.0.transformer_blocks.0.ff.net.2"), 2, null, 31),
  module("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight", [32, 32], peft("unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"), 2, null, 37),
  module("text_encoder", "text_model.encoder.layers.1.self_attn.v_proj.weight", [32, 32], peft("text_encoder.text_model.encoder.layers.1.self_attn.v_proj"), 2, null, 41),
];

function loraFile(modules: readonly TestModule[]): Uint8Array {
  return encodeSafetensors(loraFileTensors(modules));
}

function loraFileTensors(modules: readonly TestModule[]): Record<string, FixtureTensor> {
  const tensors: Record<string, FixtureTensor> = {};
  for (const m of modules) {
    const [out, input, ...kernel] = m.weightDims as [number, number, ...number[]];
    tensors[m.keys.up] = { dtype: "F16", shape: [out, m.rank, ...(kernel.length > 0 ? [1, 1] : [])], values: [...m.up] };
    tensors[m.keys.down] = { dtype: "F16", shape: [m.rank, input, ...kernel], values: [...m.down] };
    if (m.keys.alpha !== null && m.alpha !== null) tensors[m.keys.alpha] = { dtype: "F16", shape: [], values: [m.alpha] };
  }
  return tensors;
}

/** multiplier × (alpha / rank) × up @ down, in torch's layout of the weight. */
function delta(m: TestModule, multiplier: number): Float32Array {
  const out = m.weightDims[0]!;
  const inner = m.down.length / m.rank;
  const scale = multiplier * ((m.alpha ?? m.rank) / m.rank);
  const result = new Float32Array(out * inner);
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inner; i++) {
      let sum = 0;
      for (let r = 0; r < m.rank; r++) sum += m.up[o * m.rank + r]! * m.down[r * inner + i]!;
      result[o * inner + i] = sum * scale;
    }
  }
  return result;
}

/** Merges `loras` (modules with their multipliers) into the copy at `dir`, from the model builder's parameters. */
async function mergeOffline(dir: string, loras: readonly { modules: readonly TestModule[]; te: number; unet: number }[], float16 = false): Promise<void> {
  const merged = new Map<string, { component: ComponentName; values: Float32Array }>();
  const graphs = { unet: buildComponentGraph(TINY, "unet"), text_encoder: buildComponentGraph(TINY, "text_encoder") };
  for (const { modules, te, unet } of loras) {
    for (const m of modules) {
      const parameter = graphs[m.component].parameters.find((p) => p.name === m.parameter);
      if (parameter === undefined) throw new Error(`no parameter ${m.parameter}`);
      // An fp16 export stores the weights rounded to float16: the merge starts from those values.
      const initial = parameterValues(DEFAULT_MODEL_SEED, parameter);
      const current = merged.get(m.parameter)?.values ?? (float16 ? new Float32Array(new Float16Array(initial)) : initial);
      const d = delta(m, m.component === "unet" ? unet : te);
      merged.set(m.parameter, { component: m.component, values: current.map((v, i) => v + d[i]!) });
    }
  }
  for (const [name, { component, values: torchValues }] of merged) {
    const parameter = graphs[component as "unet" | "text_encoder"].parameters.find((p) => p.name === name)!;
    let stored = torchValues;
    if (parameter.transposed) {
      const [rows, columns] = parameter.dims as [number, number];
      stored = new Float32Array(torchValues.length);
      for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) stored[c * rows + r] = torchValues[r * columns + c]!;
    }
    await writeTensor(join(dir, component, "model.onnx"), parameter.initializer, stored);
  }
}

let root: string;
let baseDir: string;
let loraDir: string;
let embeddingsDir: string;
const engines: LoadedEngine[] = [];

async function engineAt(dir: string, options: { embeddingsDir?: string } = {}): Promise<LoadedEngine> {
  const engine = await loadEngine(dir, { cacheDir: join(root, "cache"), intraOpNumThreads: 1, ...options });
  engines.push(engine);
  return engine;
}

let base: LoadedEngine;
const BODY = { seed: 7, steps: 4, width: 64, height: 64, sampler_name: "Euler", cfg_scale: 7 };

async function generate(engine: LoadedEngine, prompt: string, extra: Record<string, unknown> = {}) {
  return runA1111Generation(txt2imgJob({ ...BODY, prompt, ...extra }), engine, {}, { loras: new LoraCatalog(loraDir) });
}

/** The largest per-channel difference of two images, in 8-bit levels. */
async function maxLevelDifference(a: Buffer, b: Buffer): Promise<number> {
  const [pa, pb] = await Promise.all([pixelsOf(a), pixelsOf(b)]);
  let max = 0;
  for (let i = 0; i < pa.data.length; i++) max = Math.max(max, Math.abs(pa.data[i]! - pb.data[i]!));
  return max;
}

/** A1111 hashes.py `addnet_hash_safetensors`: sha256 of a safetensors file's bytes after its header. */
function addnetHash(bytes: Uint8Array): string {
  const headerLength = Number(Buffer.from(bytes).readBigUInt64LE(0));
  return createHash("sha256").update(bytes.subarray(8 + headerLength)).digest("hex");
}

const fileA = loraFile(LORA_A);
const fileB = loraFile(LORA_B);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "serena-networks-gen-"));
  baseDir = join(root, "base");
  await writeModel(baseDir, TINY, { withoutVaeEncoder: true });
  loraDir = join(root, "Lora");
  embeddingsDir = join(root, "embeddings");
  await mkdir(join(loraDir, "styles"), { recursive: true });
  await mkdir(embeddingsDir, { recursive: true });
  await writeFile(join(loraDir, "alpha.safetensors"), fileA);
  await writeFile(join(loraDir, "styles", "beta.safetensors"), fileB);
  // A torch pickle (protocol 2 opcode, as torch.save's legacy format starts) under a LoRA extension.
  await writeFile(join(loraDir, "pickled.pt"), Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x05, 0, 0, 0, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x4e, 0x73, 0x2e]));
  base = await engineAt(baseDir);
}, 120_000);

afterAll(async () => {
  await Promise.all(engines.map((e) => e.release()));
  await rm(root, { recursive: true, force: true });
});

describe("<lora:name:weight> against a model merged offline", () => {
  it("gives the merged model's image (within one level) at 0.8, and names the file in Lora hashes", async () => {
    const mergedDir = join(root, "merged-a-0.8");
    await copyFolder(baseDir, mergedDir);
    await mergeOffline(mergedDir, [{ modules: LORA_A, te: 0.8, unet: 0.8 }]);
    const reference = await generate(await engineAt(mergedDir), "a photo of a cat");
    const withLora = await generate(base, "a photo of a cat <lora:alpha:0.8>");
    const plain = await generate(base, "a photo of a cat");
    expect(await maxLevelDifference(withLora.images[0]!, plain.images[0]!)).toBeGreaterThan(8);
    expect(await maxLevelDifference(withLora.images[0]!, reference.images[0]!)).toBeLessThanOrEqual(1);
    const infotext = readPngText(withLora.images[0]!).parameters!;
    // The tag is removed from the prompt text but stays in the infotext's prompt line, as A1111 writes it.
    expect(infotext.split("\n")[0]).toBe("a photo of a cat <lora:alpha:0.8>");
    expect(infotext).toContain(`Lora hashes: "alpha: ${addnetHash(fileA).slice(0, 12)}"`);
    expect(readPngText(plain.images[0]!).parameters).not.toContain("Lora hashes");
  });

  it("gives the base image at weight 0", async () => {
    const [zero, plain] = [await generate(base, "a photo of a cat <lora:alpha:0>"), await generate(base, "a photo of a cat")];
    expect(await maxLevelDifference(zero.images[0]!, plain.images[0]!)).toBe(0);
  });

  it("combines two LoRAs (kohya and PEFT naming, one module in both), each at its own weight", async () => {
    const mergedDir = join(root, "merged-a-b");
    await copyFolder(baseDir, mergedDir);
    await mergeOffline(mergedDir, [
      { modules: LORA_A, te: 0.6, unet: 0.6 },
      { modules: LORA_B, te: -0.5, unet: -0.5 },
    ]);
    const reference = await generate(await engineAt(mergedDir), "a photo of a cat");
    const withLoras = await generate(base, "a photo of a cat <lora:alpha:0.6> <lora:beta:-0.5>");
    expect(await maxLevelDifference(withLoras.images[0]!, reference.images[0]!)).toBeLessThanOrEqual(1);
    const hashes = `Lora hashes: "alpha: ${addnetHash(fileA).slice(0, 12)}, beta: ${addnetHash(fileB).slice(0, 12)}"`;
    expect(readPngText(withLoras.images[0]!).parameters).toContain(hashes);
  });

  it("applies separate text-encoder and UNet multipliers (<lora:name:te:unet>)", async () => {
    const mergedDir = join(root, "merged-unet-only");
    await copyFolder(baseDir, mergedDir);
    await mergeOffline(mergedDir, [{ modules: LORA_A, te: 0, unet: 0.8 }]);
    const reference = await generate(await engineAt(mergedDir), "a photo of a cat");
    const [unetOnly, bothAt] = [await generate(base, "a photo of a cat <lora:alpha:0:0.8>"), await generate(base, "a photo of a cat <lora:alpha:0.8>")];
    expect(await maxLevelDifference(unetOnly.images[0]!, reference.images[0]!)).toBeLessThanOrEqual(1);
    expect(await maxLevelDifference(unetOnly.images[0]!, bothAt.images[0]!)).toBeGreaterThan(1);
  });

  it("leaves the original export's files unchanged", async () => {
    const parameter = buildComponentGraph(TINY, "unet").parameters.find((p) => p.name === LORA_A[0]!.parameter)!;
    const stored = await readTensor(join(baseDir, "unet", "model.onnx"), parameter.initializer);
    const expected = parameterValues(DEFAULT_MODEL_SEED, parameter);
    // Stored transposed ([in, out]); compare one off-diagonal element each way.
    expect(stored.values[1]).toBe(expected[32]);
    expect(stored.values[32]).toBe(expected[1]);
  });

  it("ignores the tags with disable_extra_networks, as A1111 does", async () => {
    const [ignored, plain] = [
      await generate(base, "a photo of a cat <lora:alpha:0.8>", { disable_extra_networks: true }),
      await generate(base, "a photo of a cat"),
    ];
    expect(await maxLevelDifference(ignored.images[0]!, plain.images[0]!)).toBe(0);
    expect(readPngText(ignored.images[0]!).parameters).not.toContain("Lora hashes");
  });
});

describe("LoRA with hires fix and on an fp16 export", () => {
  const HIRES = { enable_hr: true, hr_scale: 2, hr_upscaler: "Latent", denoising_strength: 0.6, hr_second_pass_steps: 3 };

  it("applies the hires prompt's tags to the second pass, as A1111's sample_hr_pass activates them", async () => {
    const mergedDir = join(root, "merged-hires");
    await copyFolder(baseDir, mergedDir);
    await mergeOffline(mergedDir, [{ modules: LORA_A, te: 0.7, unet: 0.7 }]);
    const reference = await generate(await engineAt(mergedDir), "a cat", { ...HIRES, hr_prompt: "a cat, detailed" });
    const bothPasses = await generate(base, "a cat <lora:alpha:0.7>", { ...HIRES, hr_prompt: "a cat, detailed <lora:alpha:0.7>" });
    const firstOnly = await generate(base, "a cat <lora:alpha:0.7>", { ...HIRES, hr_prompt: "a cat, detailed" });
    expect(await maxLevelDifference(bothPasses.images[0]!, reference.images[0]!)).toBeLessThanOrEqual(1);
    expect(await maxLevelDifference(firstOnly.images[0]!, bothPasses.images[0]!)).toBeGreaterThan(1);
    // The first pass's networks stay in the infotext when the hires prompt has none.
    expect(readPngText(firstOnly.images[0]!).parameters).toContain(`Lora hashes: "alpha: ${addnetHash(fileA).slice(0, 12)}"`);
  });

  it("merges into float16 weights as they are stored (one rounding), matching an offline fp16 merge", async () => {
    const fp16Dir = join(root, "base-fp16");
    await writeModel(fp16Dir, TINY, { withoutVaeEncoder: true, floatType: "float16" });
    const mergedDir = join(root, "merged-fp16");
    await copyFolder(fp16Dir, mergedDir);
    await mergeOffline(mergedDir, [{ modules: LORA_A, te: 0.8, unet: 0.8 }], true);
    const reference = await generate(await engineAt(mergedDir), "a photo of a cat");
    const fp16 = await engineAt(fp16Dir);
    const withLora = await generate(fp16, "a photo of a cat <lora:alpha:0.8>");
    expect(await maxLevelDifference(withLora.images[0]!, reference.images[0]!)).toBeLessThanOrEqual(1);
    expect(await maxLevelDifference(withLora.images[0]!, (await generate(fp16, "a photo of a cat")).images[0]!)).toBeGreaterThan(8);
  });
});

describe("LoRA tags that cannot be applied", () => {
  /** The HTTP answer the error a generation fails with gets (status and body as A1111 shapes them). */
  const refusal = async (prompt: string) => {
    const error = await generate(base, prompt).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).not.toBeNull();
    const answer = errorAnswer(error, "test");
    return { status: answer.status, message: JSON.stringify(answer.body) };
  };

  it("a LoRA that is not in the folder is a 422 naming it", async () => {
    const error = await refusal("a cat <lora:nowhere:1>");
    expect(error.status).toBe(422);
    expect(error.message).toContain("nowhere");
  });

  it("a pickle (.pt) is a 422 naming it, never loaded", async () => {
    const error = await refusal("a cat <lora:pickled:1>");
    expect(error.status).toBe(422);
    expect(error.message).toContain("pickled");
    expect(error.message).toMatch(/pickle/i);
  });

  it("a LoRA none of whose modules fits the model (another family's) is a 422 naming it, not a silent no-op", async () => {
    const foreign = [
      module("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight", [40, 40], kohya("lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q"), 2, 1, 43),
      module("unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k.weight", [40, 40], kohya("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k"), 2, 1, 47),
    ];
    await writeFile(join(loraDir, "foreign.safetensors"), loraFile(foreign));
    const error = await refusal("a cat <lora:foreign:1>");
    expect(error.status).toBe(422);
    expect(error.message).toContain("foreign.safetensors");
    expect(error.message).toContain("UNet");
  });

  it("a file of a kind Serena does not apply (LyCORIS LoHa) is a 422 naming it and its keys, not a partial merge", async () => {
    const stem = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q";
    const loha: Record<string, FixtureTensor> = {};
    for (const part of ["hada_w1_a", "hada_w1_b", "hada_w2_a", "hada_w2_b"]) loha[`${stem}.${part}`] = { dtype: "F16", shape: [2, 2], values: [0.5, 0, 0, 0.5] };
    await writeFile(join(loraDir, "hadamard.safetensors"), encodeSafetensors({ ...loha, ...loraFileTensors(LORA_A.slice(2, 3)) }));
    const error = await refusal("a cat <lora:hadamard:1>");
    expect(error.status).toBe(422);
    expect(error.message).toContain("hadamard.safetensors");
    expect(error.message).toContain("hada_w1_a");
  });

  it("a file added after the first lookup is found without a restart", async () => {
    const catalog = new LoraCatalog(loraDir);
    expect(await catalog.find("late")).toBeNull();
    await writeFile(join(loraDir, "late.safetensors"), fileB);
    expect((await catalog.find("late"))?.path).toBe(join(loraDir, "late.safetensors"));
  });
});

describe("textual-inversion embeddings against an encoder whose token table holds the vectors", () => {
  it("an embedding name gives the image of the tokens whose rows hold its vectors, with TI hashes", async () => {
    const tokenizer = await loadClipTokenizer(join(baseDir, "tokenizer"));
    const [cat] = tokenizer.encode("cat");
    const [dog] = tokenizer.encode("dog");
    expect([cat, dog].every((id) => id !== undefined)).toBe(true);
    const hidden = TINY.textEncoder.hidden_size;
    const vectors = values(2 * hidden, 99).map((v) => v * 0.1);
    const file = encodeSafetensors({ emb_params: { dtype: "F32", shape: [2, hidden], values: [...vectors] } });
    await writeFile(join(embeddingsDir, "sparkle.safetensors"), file);

    const referenceDir = join(root, "token-table");
    await copyFolder(baseDir, referenceDir);
    const te = join(referenceDir, "text_encoder", "model.onnx");
    const table = await readTensor(te, "text_model.embeddings.token_embedding.weight");
    table.values.set(vectors.subarray(0, hidden), cat! * hidden);
    table.values.set(vectors.subarray(hidden), dog! * hidden);
    await writeTensor(te, "text_model.embeddings.token_embedding.weight", table.values);

    const withEmbedding = await engineAt(baseDir, { embeddingsDir });
    const viaName = await generate(withEmbedding, "a photo of sparkle, outdoors", { negative_prompt: "blurry" });
    const viaTable = await generate(await engineAt(referenceDir), "a photo of cat dog, outdoors", { negative_prompt: "blurry" });
    const plainWords = await generate(withEmbedding, "a photo of cat dog, outdoors", { negative_prompt: "blurry" });
    expect(await maxLevelDifference(viaName.images[0]!, viaTable.images[0]!)).toBeLessThanOrEqual(1);
    expect(await maxLevelDifference(viaName.images[0]!, plainWords.images[0]!)).toBeGreaterThan(1);
    const sha256 = createHash("sha256").update(await readFile(join(embeddingsDir, "sparkle.safetensors"))).digest("hex");
    expect(readPngText(viaName.images[0]!).parameters).toContain(`TI hashes: "sparkle: ${sha256.slice(0, 12)}"`);
  });

  it("an embedding named in the negative prompt is used there too", async () => {
    const withEmbedding = await engineAt(baseDir, { embeddingsDir });
    const [named, plain] = [
      await generate(withEmbedding, "a photo", { negative_prompt: "sparkle" }),
      await generate(withEmbedding, "a photo", { negative_prompt: "cat dog" }),
    ];
    expect(await maxLevelDifference(named.images[0]!, plain.images[0]!)).toBeGreaterThan(0);
    expect(readPngText(named.images[0]!).parameters).toContain("TI hashes: \"sparkle: ");
  });
});
