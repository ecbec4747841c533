/**
 * Loading SDXL exports with the real module structure (model-builder's `sdxl-tiny` and `sdxl-refiner-tiny` presets,
 * fp32 and fp16): what loadModel reads from the sessions, which outputs the SDXL text path takes (A1111's
 * `hidden_states[-2]` / "penultimate" layer without the final layer norm, and text_encoder_2's `text_embeds`), and
 * how the conditioner lays the two encoders side by side.
 */
import { cp, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_PRESETS, writeModel } from "../../../lib/engine/model-builder/index.ts";
import { loadModel, SDXL_VAE_SCALING_FACTOR, type DiffusionModel } from "../../../lib/engine/model/index.ts";
import { TextConditioner } from "../../../lib/engine/pipeline/text-conditioner.ts";
import { CHUNK_TOKENS, tokenizePrompt } from "../../../lib/engine/prompts/chunks.ts";
import { loadClipTokenizer } from "../../../lib/engine/tokenizer/clip-tokenizer.ts";
import { readOnnx, writeOnnx } from "./graph-fixtures.ts";

const BASE = MODEL_PRESETS["sdxl-tiny"];
const REFINER = MODEL_PRESETS["sdxl-refiner-tiny"];

let root: string;
let base: DiffusionModel;
let fp16: DiffusionModel;
let refiner: DiffusionModel;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "sdxl-load-"));
  await writeModel(join(root, "base"), BASE, { withoutVaeEncoder: true });
  await writeModel(join(root, "base-fp16"), BASE, { floatType: "float16", withoutVaeEncoder: true });
  await writeModel(join(root, "refiner"), REFINER, { withoutVaeEncoder: true });
  [base, fp16, refiner] = await Promise.all(["base", "base-fp16", "refiner"].map((name) => loadModel(join(root, name), { intraOpNumThreads: 1 })));
}, 60_000);

afterAll(async () => {
  await Promise.all([base, fp16, refiner].map((model) => model?.release()));
});

/** "<|startoftext|> a photo of a cat <|endoftext|>" padded with `pad` (assets/clip-tokenizer/README.md). */
function ids(pad: number): Int32Array {
  const row = [49406, 320, 1125, 539, 320, 2368, 49407, ...new Array<number>(70).fill(pad)];
  return Int32Array.from(row);
}

async function runOutputs(file: string, input: Int32Array, outputs: string[]): Promise<Float32Array[]> {
  const session = await InferenceSession.create(file);
  try {
    const result = await session.run({ input_ids: new Tensor("int64", BigInt64Array.from(input, BigInt), [1, input.length]) }, outputs);
    return outputs.map((name) => result[name]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

describe("SDXL facts read from the sessions", () => {
  it("base: two encoders side by side, the pooled width and six size/crop time ids, SDXL's VAE factor", () => {
    expect(base.facts).toMatchObject({
      family: "sdxl",
      textHiddenSize: BASE.textEncoder.hidden_size + BASE.textEncoder2.config.hidden_size,
      vaeScalingFactor: SDXL_VAE_SCALING_FACTOR,
      sdxl: { encoderWidths: [BASE.textEncoder.hidden_size, BASE.textEncoder2.config.hidden_size], pooledWidth: BASE.textEncoder2.config.projection_dim, timeIds: "size" },
    });
    expect(base.facts.tokenizer2Dir).toBe(join(root, "base", "tokenizer_2"));
  });

  it("refiner: text_encoder_2 alone, five time ids with the aesthetic score, tokenizer_2 as its only tokenizer", () => {
    expect(refiner.facts).toMatchObject({
      family: "sdxl",
      textHiddenSize: REFINER.textEncoder2.config.hidden_size,
      sdxl: { encoderWidths: [REFINER.textEncoder2.config.hidden_size], timeIds: "aesthetic" },
      tokenizerDir: join(root, "refiner", "tokenizer_2"),
    });
  });

  it("fp16: the same facts with float16 precision", () => {
    expect(fp16.facts).toMatchObject({ family: "sdxl", precision: "float16", sdxl: base.facts.sdxl });
  });
});

describe("SDXL text encodings", () => {
  it("text_encoder gives hidden_states[N − 1], the layer before the last, without the final layer norm", async () => {
    const layers = BASE.textEncoder.num_hidden_layers;
    const input = ids(49407);
    const { hidden, pooled } = await base.encodeSdxlText("text_encoder", input, 1);
    const [penultimate, last] = await runOutputs(join(root, "base", "text_encoder", "model.onnx"), input, [`hidden_states.${layers - 1}`, "last_hidden_state"]);
    expect(pooled).toBeNull();
    expect(hidden).toEqual(penultimate);
    expect(hidden).not.toEqual(last);
  });

  it("text_encoder_2 gives its penultimate layer and its projected pooled output (text_embeds)", async () => {
    const layers = BASE.textEncoder2.config.num_hidden_layers;
    const input = ids(0);
    const { hidden, pooled } = await base.encodeSdxlText("text_encoder_2", input, 1);
    const [penultimate, textEmbeds] = await runOutputs(join(root, "base", "text_encoder_2", "model.onnx"), input, [`hidden_states.${layers - 1}`, "text_embeds"]);
    expect(hidden).toEqual(penultimate);
    expect(pooled).toEqual(textEmbeds);
    expect(pooled).toHaveLength(BASE.textEncoder2.config.projection_dim);
  });

  it("the context puts text_encoder's states then text_encoder_2's on every token, each tokenizer padding its own way", async () => {
    const [tokenizer, tokenizer2] = await Promise.all([loadClipTokenizer(base.facts.tokenizerDir), loadClipTokenizer(base.facts.tokenizer2Dir!)]);
    // "!" is id 0 in CLIP's vocabulary: tokenizer_2 pads with it, tokenizer with <|endoftext|> (49407).
    expect([tokenizer.padId, tokenizer2.padId]).toEqual([49407, 0]);
    const conditioner = new TextConditioner(base, tokenizer, { emphasis: "Original", commaPaddingBacktrack: 20 }, tokenizer2);
    const [embedding] = await conditioner.encode(["a photo of a cat"], { width: 1024, height: 1024, negative: false });
    const chunk1 = tokenizePrompt("a photo of a cat", tokenizer).chunks[0]!.ids;
    const chunk2 = tokenizePrompt("a photo of a cat", tokenizer2).chunks[0]!.ids;
    expect([...chunk2.subarray(7, 10)]).toEqual([0, 0, 0]);
    const first = await base.encodeSdxlText("text_encoder", chunk1, 1);
    const second = await base.encodeSdxlText("text_encoder_2", chunk2, 1);
    const [w1, w2] = base.facts.sdxl!.encoderWidths as [number, number];
    expect(embedding!.tokens).toBe(CHUNK_TOKENS);
    for (const token of [0, 5, 40]) {
      const row = embedding!.context.subarray(token * (w1 + w2), (token + 1) * (w1 + w2));
      expect(row.subarray(0, w1)).toEqual(first.hidden.subarray(token * w1, (token + 1) * w1));
      expect(row.subarray(w1)).toEqual(second.hidden.subarray(token * w2, (token + 1) * w2));
    }
    expect(embedding!.added!.textEmbeds).toEqual(second.pooled);
    expect([...embedding!.added!.timeIds]).toEqual([1024, 1024, 0, 0, 1024, 1024]);
  });
});

describe("SDXL UNet calls", () => {
  it.each([
    ["fp32", () => base],
    ["fp16", () => fp16],
  ])("%s: text_embeds and time_ids change the prediction", async (_name, model) => {
    const m = model();
    const { textHiddenSize: hidden, sdxl } = m.facts;
    const sample = new Float32Array(4 * 16 * 16).map((_, i) => Math.sin(i));
    const context = new Float32Array(77 * hidden).map((_, i) => Math.cos(i));
    const textEmbeds = new Float32Array(sdxl!.pooledWidth).fill(0.5);
    const predict = (timeIds: number[], pooled = textEmbeds) =>
      m.predictNoise(sample, [1, 4, 16, 16], 500, context, [1, 77, hidden], { textEmbeds: pooled, timeIds: Float32Array.from(timeIds) });
    const reference = await predict([1024, 1024, 0, 0, 1024, 1024]);
    expect(reference.every(Number.isFinite)).toBe(true);
    expect(await predict([1024, 1024, 0, 0, 1024, 1024])).toEqual(reference);
    expect(await predict([832, 1216, 0, 0, 832, 1216])).not.toEqual(reference);
    expect(await predict([1024, 1024, 64, 0, 1024, 1024])).not.toEqual(reference);
    expect(await predict([1024, 1024, 0, 0, 1024, 1024], new Float32Array(sdxl!.pooledWidth))).not.toEqual(reference);
  });

  it("refuses a call without them", async () => {
    const hidden = base.facts.textHiddenSize;
    await expect(base.predictNoise(new Float32Array(4 * 8 * 8), [1, 4, 8, 8], 500, new Float32Array(77 * hidden), [1, 77, hidden])).rejects.toThrow(
      /needs text_embeds and time_ids/,
    );
  });
});

describe("SDXL exports without hidden_states.N outputs", () => {
  it("give the same encodings from the residual stream (a derived model), with and without the outputs", async () => {
    const dir = join(root, "no-hidden-states");
    await cp(join(root, "base"), dir, { recursive: true });
    for (const component of ["text_encoder", "text_encoder_2"]) {
      const file = join(dir, component, "model.onnx");
      const model = await readOnnx(file);
      model.graph!.output = model.graph!.output!.filter((output) => !/^hidden_states\./.test(output.name ?? ""));
      await writeOnnx(file, model);
    }
    const stripped = await loadModel(dir, { intraOpNumThreads: 1, cacheDir: join(root, "cache") });
    try {
      for (const [encoder, pad] of [
        ["text_encoder", 49407],
        ["text_encoder_2", 0],
      ] as const) {
        const expected = await base.encodeSdxlText(encoder, ids(pad), 1);
        expect(await stripped.encodeSdxlText(encoder, ids(pad), 1)).toEqual(expected);
        // sdxl_clip_l_skip's other layers come from the same walk.
        expect(await stripped.encodeSdxlText(encoder, ids(pad), 1, { fromEnd: 1 })).toEqual(await base.encodeSdxlText(encoder, ids(pad), 1, { fromEnd: 1 }));
      }
    } finally {
      await stripped.release();
    }
  });
});
