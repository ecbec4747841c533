import { readFile, stat } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildComponentGraph, MODEL_PRESETS, writeModel } from "../../../lib/engine/model-builder/index.ts";
import { loadModel } from "../../../lib/engine/model/index.ts";
import type { DiffusionModel } from "../../../lib/engine/model/index.ts";

const TINY = MODEL_PRESETS["sd15-tiny"];
const HIDDEN = TINY.textEncoder.hidden_size;
const LAYERS = TINY.textEncoder.num_hidden_layers;

let root: string;
let fp32: string;
let model: DiffusionModel;
let fp16Model: DiffusionModel;
let writeMs = 0;
let loadMs = 0;

/** "<|startoftext|> a photo of a cat <|endoftext|>" padded with <|endoftext|> (assets/clip-tokenizer/README.md). */
function promptIds(batch: number): Int32Array {
  const row = [49406, 320, 1125, 539, 320, 2368, ...new Array<number>(71).fill(49407)];
  const ids = new Int32Array(batch * 77);
  for (let b = 0; b < batch; b++) ids.set(row, b * 77);
  return ids;
}

const allFinite = (values: Float32Array) => values.every(Number.isFinite);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "model-builder-"));
  fp32 = join(root, "sd15-tiny");
  let start = performance.now();
  await writeModel(fp32, TINY, { textEncoderHiddenStates: true });
  writeMs = performance.now() - start;
  start = performance.now();
  model = await loadModel(fp32, { intraOpNumThreads: 1 });
  loadMs = performance.now() - start;
  await writeModel(join(root, "sd15-tiny-fp16"), TINY, { floatType: "float16" });
  fp16Model = await loadModel(join(root, "sd15-tiny-fp16"), { intraOpNumThreads: 1 });
});

afterAll(async () => {
  await model?.release();
  await fp16Model?.release();
});

describe("sd15-tiny folder", () => {
  // Uncontended on a 2-core machine: ~0.15–0.25 s to write and ~0.2–0.35 s to open. The bound leaves room for test
  // workers sharing the cores, and still catches a builder that stops being cheap enough for unit tests.
  it("is written and opened in about a second at most", () => {
    expect(writeMs + loadMs).toBeLessThan(2000);
  });

  it("is read by loadModel as an SD 1.x optimum ≥ 1.24 export", () => {
    expect(model.facts).toMatchObject({
      family: "sd1",
      predictionType: "epsilon",
      latentChannels: 4,
      textHiddenSize: HIDDEN,
      vaeScalingFactor: 0.18215,
      unetBatch: "dynamic",
      precision: "float32",
      integerTimesteps: false,
      vaeEncoderOutput: "latent_parameters",
    });
    expect(fp16Model.facts.precision).toBe("float16");
  });

  it("has each component's weights in model.onnx_data, as large as its parameters", async () => {
    for (const component of ["text_encoder", "unet", "vae_decoder", "vae_encoder"] as const) {
      const parameters = buildComponentGraph(TINY, component).parameterCount();
      expect((await stat(join(fp32, component, "model.onnx_data"))).size).toBe(4 * parameters);
    }
  });

  it("writes the presets' configs as config.json", async () => {
    const unet = JSON.parse(await readFile(join(fp32, "unet", "config.json"), "utf8")) as Record<string, unknown>;
    expect(unet).toMatchObject({ _class_name: "UNet2DConditionModel", block_out_channels: [32, 64], cross_attention_dim: HIDDEN });
    const text = JSON.parse(await readFile(join(fp32, "text_encoder", "config.json"), "utf8")) as Record<string, unknown>;
    expect(text).toMatchObject({ hidden_size: HIDDEN, num_hidden_layers: LAYERS, hidden_act: "quick_gelu" });
  });
});

describe("sd15-tiny components run", () => {
  it("text encoder: [B, 77, hidden], finite, identical rows for identical prompts", async () => {
    const out = await model.encodeText(promptIds(2), 2);
    expect(out.length).toBe(2 * 77 * HIDDEN);
    expect(allFinite(out)).toBe(true);
    expect(out.subarray(77 * HIDDEN)).toEqual(out.subarray(0, 77 * HIDDEN));
  });

  it("UNet: out_sample has the sample's shape, is finite, and depends on timestep and text", async () => {
    const context = await model.encodeText(promptIds(2), 2);
    const sample = new Float32Array(2 * 4 * 8 * 8).map((_, i) => Math.sin(i));
    const at500 = await model.predictNoise(sample, [2, 4, 8, 8], 500, context, [2, 77, HIDDEN]);
    expect(at500.length).toBe(sample.length);
    expect(allFinite(at500)).toBe(true);
    const at10 = await model.predictNoise(sample, [2, 4, 8, 8], 10, context, [2, 77, HIDDEN]);
    expect(at10).not.toEqual(at500);
    const otherContext = context.map((v) => -v);
    expect(await model.predictNoise(sample, [2, 4, 8, 8], 500, otherContext, [2, 77, HIDDEN])).not.toEqual(at500);
  });

  it("VAE: latents [1, 4, 8, 8] decode to pixels [1, 3, 64, 64] and encode back to mean and log-variance", async () => {
    const latents = new Float32Array(4 * 8 * 8).map((_, i) => Math.cos(i));
    const pixels = await model.decodeLatents(latents, [1, 4, 8, 8]);
    expect(pixels.length).toBe(3 * 64 * 64);
    expect(allFinite(pixels)).toBe(true);
    const encoded = await model.encodeImage(pixels, [1, 3, 64, 64]);
    expect(encoded.kind).toBe("parameters");
    expect(encoded.shape).toEqual([1, 4, 8, 8]);
  });

  it("the fp16 export computes the same function to float16 precision", async () => {
    const context = await model.encodeText(promptIds(1), 1);
    const context16 = await fp16Model.encodeText(promptIds(1), 1);
    expect(maxDifference(context, context16)).toBeLessThan(0.05);
    const sample = new Float32Array(4 * 8 * 8).map((_, i) => Math.sin(i));
    const eps = await model.predictNoise(sample, [1, 4, 8, 8], 500, context, [1, 77, HIDDEN]);
    const eps16 = await fp16Model.predictNoise(sample, [1, 4, 8, 8], 500, context, [1, 77, HIDDEN]);
    expect(maxDifference(eps, eps16)).toBeLessThan(0.05);
    expect(maxDifference(eps, new Float32Array(eps.length))).toBeGreaterThan(0.1);
  });
});

function maxDifference(a: Float32Array, b: Float32Array): number {
  return a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i])), 0);
}

describe("text encoder hidden states (optimum output_hidden_states)", () => {
  it("outputs hidden_states.0..N; final_layer_norm of the last is last_hidden_state; pooler_output is the EOS row", async () => {
    const session = await InferenceSession.create(join(fp32, "text_encoder", "model.onnx"));
    try {
      expect(session.outputNames).toEqual([
        "last_hidden_state",
        "pooler_output",
        ...Array.from({ length: LAYERS + 1 }, (_, i) => `hidden_states.${i}`),
      ]);
      const ids = promptIds(1);
      const result = await session.run({ input_ids: new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, 77]) });
      const last = result.last_hidden_state.data as Float32Array;
      const deepest = result[`hidden_states.${LAYERS}`].data as Float32Array;
      // final_layer_norm has weight 1 and bias 0 (torch's LayerNorm init), so it is a plain per-row standardisation.
      for (let row = 0; row < 77; row++) {
        const x = deepest.subarray(row * HIDDEN, (row + 1) * HIDDEN);
        const mean = x.reduce((s, v) => s + v, 0) / HIDDEN;
        const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / HIDDEN;
        const normalized = x.map((v) => (v - mean) / Math.sqrt(variance + 1e-5));
        expect(maxDifference(normalized, last.subarray(row * HIDDEN, (row + 1) * HIDDEN))).toBeLessThan(1e-4);
      }
      // The first EOS (id 49407, the highest id) is at position 6.
      expect(result.pooler_output.data).toEqual(last.subarray(6 * HIDDEN, 7 * HIDDEN));
      expect(result["hidden_states.0"].data).not.toEqual(deepest);
    } finally {
      await session.release();
    }
  });
});

describe("sd15-tiny with an inpainting UNet (in_channels 9)", () => {
  it("is read as an inpainting model and predicts 4 channels from 9", async () => {
    const dir = join(root, "sd15-tiny-inpainting");
    await writeModel(dir, { ...TINY, unet: { ...TINY.unet, in_channels: 9 } });
    const index = JSON.parse(await readFile(join(dir, "model_index.json"), "utf8")) as { _class_name: string };
    expect(index._class_name).toBe("StableDiffusionInpaintPipeline");
    const inpainting = await loadModel(dir, { intraOpNumThreads: 1 });
    try {
      expect([inpainting.facts.latentChannels, inpainting.facts.unetInChannels]).toEqual([4, 9]);
      const context = await inpainting.encodeText(promptIds(1), 1);
      const out = await inpainting.predictNoise(new Float32Array(9 * 8 * 8).fill(0.1), [1, 9, 8, 8], 500, context, [1, 77, HIDDEN]);
      expect(out.length).toBe(4 * 8 * 8);
      expect(allFinite(out)).toBe(true);
    } finally {
      await inpainting.release();
    }
  });
});
