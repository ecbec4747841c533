/**
 * Clip skip (A1111 `CLIP_stop_at_last_layers`): n > 1 encodes with `final_layer_norm(hidden_states[-n])`
 * (modules/sd_hijack_clip.py `FrozenCLIPEmbedderWithCustomWords.encode_with_transformers`, v1.10.1). The text encoder
 * is derived from the export either way it can be: from `hidden_states.N` outputs, or by walking the residual stream
 * of an export that only outputs `last_hidden_state`. References are models built with fewer layers (the model
 * builder keys weights by parameter name, so layers 0…k are the same), whose last_hidden_state is exactly what clip
 * skip asks of the deeper one; every model's final layer norm gets the same non-trivial weights first.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlanError } from "../../../lib/engine/errors.ts";
import { MODEL_PRESETS, writeModel, type BuildOptions } from "../../../lib/engine/model-builder/index.ts";
import { loadModel, type DiffusionModel, type LoadModelOptions } from "../../../lib/engine/model/index.ts";
import { ensureTinyModel } from "../../../lib/engine/tiny-model/index.ts";
import { copyFolder, decomposeLayerNorms, wavy, writeTensor } from "./graph-fixtures.ts";

const TINY = MODEL_PRESETS["sd15-tiny"];
const HIDDEN = TINY.textEncoder.hidden_size;

/** "<|startoftext|> a photo of a cat <|endoftext|>…" and a second prompt (assets/clip-tokenizer/README.md ids). */
const IDS = Int32Array.from([
  ...[49406, 320, 1125, 539, 320, 2368, ...new Array<number>(71).fill(49407)],
  ...[49406, 2368, 267, 1125, ...new Array<number>(73).fill(49407)],
]);

let root: string;
const opened: DiffusionModel[] = [];

/** Writes an sd15-tiny variant with `layers` text layers and the shared final layer norm weights. */
async function build(name: string, layers: number, options: BuildOptions): Promise<string> {
  const dir = join(root, name);
  await writeModel(dir, { ...TINY, textEncoder: { ...TINY.textEncoder, num_hidden_layers: layers } }, { ...options, withoutVaeEncoder: true });
  const te = join(dir, "text_encoder", "model.onnx");
  await writeTensor(te, "text_model.final_layer_norm.weight", wavy(HIDDEN, 0.5, 1, 0.3));
  await writeTensor(te, "text_model.final_layer_norm.bias", wavy(HIDDEN, 0.2, 0, 1.1));
  return dir;
}

async function open(dir: string, options: LoadModelOptions = {}): Promise<DiffusionModel> {
  const model = await loadModel(dir, { cacheDir: join(root, "cache"), intraOpNumThreads: 1, ...options });
  opened.push(model);
  return model;
}

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i]!)), 0);

const folders: Record<string, string> = {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "clip-skip-"));
  folders.hidden = await build("hidden-states", 2, { textEncoderHiddenStates: true });
  folders.named = await build("named", 2, { linearWeights: "named" });
  folders.folded = await build("folded", 2, {});
  folders.one = await build("one-layer", 1, {});
  folders.three = await build("three-layers", 3, {});
  folders.hidden16 = await build("hidden-states-fp16", 2, { textEncoderHiddenStates: true, floatType: "float16" });
  folders.plain16 = await build("plain-fp16", 2, { floatType: "float16" });
  folders.one16 = await build("one-layer-fp16", 1, { floatType: "float16" });
  folders.decomposed = join(root, "decomposed");
  await copyFolder(folders.folded, folders.decomposed);
});

afterAll(async () => {
  await Promise.all(opened.map((m) => m.release()));
  await rm(root, { recursive: true, force: true });
});

describe("clip skip from hidden_states outputs and from the residual stream", () => {
  it("gives the same encoding both ways on an export that has hidden_states outputs (fp32 and fp16)", async () => {
    for (const dir of [folders.hidden!, folders.hidden16!]) {
      const viaOutputs = await (await open(dir)).encodeText(IDS, 2, { clipSkip: 2 });
      const viaStream = await (await open(dir, { clipSkipSource: "residual-stream" })).encodeText(IDS, 2, { clipSkip: 2 });
      expect(viaStream).toEqual(viaOutputs);
    }
  });

  it("gives the same encoding for the named and folded Linear layouts and with or without hidden_states outputs", async () => {
    const reference = await (await open(folders.hidden!)).encodeText(IDS, 2, { clipSkip: 2 });
    for (const dir of [folders.named!, folders.folded!]) {
      expect(maxDifference(await (await open(dir)).encodeText(IDS, 2, { clipSkip: 2 }), reference)).toBeLessThan(1e-6);
    }
  });
});

describe("clip skip n is final_layer_norm(hidden_states[-n])", () => {
  it("clip skip 2 of a 2-layer encoder is the last_hidden_state of the same encoder built with 1 layer", async () => {
    const skipped = await (await open(folders.folded!)).encodeText(IDS, 2, { clipSkip: 2 });
    const shallow = await (await open(folders.one!)).encodeText(IDS, 2);
    expect(maxDifference(skipped, shallow)).toBeLessThan(1e-6);
    // It is not the last layer's encoding.
    const last = await (await open(folders.folded!)).encodeText(IDS, 2);
    expect(maxDifference(skipped, last)).toBeGreaterThan(0.1);
  });

  it("clip skip 3 of 3 layers equals clip skip 2 of 2; clip skip 3 of 2 layers (the embeddings) equals clip skip 2 of 1", async () => {
    const three = await open(folders.three!);
    const two = await open(folders.folded!);
    const one = await open(folders.one!);
    expect(maxDifference(await three.encodeText(IDS, 2, { clipSkip: 3 }), await two.encodeText(IDS, 2, { clipSkip: 2 }))).toBeLessThan(1e-6);
    expect(maxDifference(await two.encodeText(IDS, 2, { clipSkip: 3 }), await one.encodeText(IDS, 2, { clipSkip: 2 }))).toBeLessThan(1e-6);
  });

  it("holds for float16 exports, computed in float16 like the export", async () => {
    const skipped = await (await open(folders.plain16!)).encodeText(IDS, 2, { clipSkip: 2 });
    const shallow = await (await open(folders.one16!)).encodeText(IDS, 2);
    expect(skipped).toEqual(shallow);
  });

  it("works on the decomposed layer norm torch exports below opset 17 (ReduceMean, Sub, Pow, …)", async () => {
    const te = join(folders.decomposed!, "text_encoder", "model.onnx");
    expect(await decomposeLayerNorms(te)).toBe(2 * 2 + 1);
    const decomposed = await open(folders.decomposed!);
    const original = await open(folders.folded!);
    expect(maxDifference(await decomposed.encodeText(IDS, 2), await original.encodeText(IDS, 2))).toBeLessThan(1e-4);
    expect(maxDifference(await decomposed.encodeText(IDS, 2, { clipSkip: 2 }), await original.encodeText(IDS, 2, { clipSkip: 2 }))).toBeLessThan(1e-4);
  });

  it("clip skip 1 is the export's own last_hidden_state", async () => {
    const model = await open(folders.folded!);
    expect(await model.encodeText(IDS, 2, { clipSkip: 1 })).toEqual(await model.encodeText(IDS, 2));
  });
});

describe("clip skip the export cannot serve", () => {
  it("beyond the embeddings (layers + 1) is a PlanError for text.clipSkip naming the layer count", async () => {
    const model = await open(folders.folded!);
    const error = await model.encodeText(IDS, 2, { clipSkip: 4 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).part).toBe("text.clipSkip");
    expect((error as PlanError).message).toContain("2 layers");
  });

  it("on a text encoder without pre-norm transformer layers (the tiny test model) is a PlanError for text.clipSkip", async () => {
    const model = await open(await ensureTinyModel(join(root, "tiny"), "sd1-diffusers"));
    const error = await model.encodeText(IDS, 2, { clipSkip: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).part).toBe("text.clipSkip");
  });
});

describe("clipSkipSupport: the deepest clip skip a model serves, asked before encoding", () => {
  it("is layers + 1, from the same derived encoder that clip skip then uses, whichever way it is derived", async () => {
    for (const [dir, layers] of [
      [folders.one!, 1],
      [folders.folded!, 2],
      [folders.hidden!, 2],
      [folders.three!, 3],
    ] as const) {
      const model = await open(dir);
      const support = await model.clipSkipSupport();
      expect(support.max, dir).toBe(layers + 1);
      expect(support.reason).toBe(`${model.facts.name}'s text encoder has ${layers} layers (clip skip ${layers + 1} at most)`);
      // What it says is what encodeText does: the deepest works, one more is refused.
      await expect(model.encodeText(IDS, 2, { clipSkip: layers + 1 })).resolves.toBeInstanceOf(Float32Array);
      await expect(model.encodeText(IDS, 2, { clipSkip: layers + 2 })).rejects.toBeInstanceOf(PlanError);
    }
  });

  it("is 1 with the reason on a text encoder without pre-norm transformer layers (the tiny test model), every time", async () => {
    const model = await open(await ensureTinyModel(join(root, "tiny"), "sd1-diffusers"));
    const support = await model.clipSkipSupport();
    expect(support.max).toBe(1);
    expect(support.reason).toMatch(/^sd1-diffusers's text encoder cannot serve clip skip: the residual stream before the final layer norm/);
    expect(await model.clipSkipSupport()).toEqual(support);
  });
});
