import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildUNetGraph, MODEL_PRESETS, writeModel, writeOnnxModel } from "../../../lib/engine/model-builder/index.ts";
import type { ModelConfig } from "../../../lib/engine/model-builder/index.ts";
import { loadModel } from "../../../lib/engine/model/index.ts";
import type { DiffusionModel } from "../../../lib/engine/model/index.ts";

const TINY = MODEL_PRESETS["sd15-tiny"];

/** sd15-tiny with SD 2.x's distinguishing settings (MODEL_PRESETS.sd21): linear projections, GELU CLIP, "!" padding. */
const SD2_SHAPED: ModelConfig = {
  ...TINY,
  unet: { ...TINY.unet, use_linear_projection: true, attention_head_dim: [2, 4], transformer_layers_per_block: [1, 2], upcast_attention: true },
  textEncoder: { ...TINY.textEncoder, hidden_act: "gelu" },
  scheduler: MODEL_PRESETS.sd21.scheduler,
  padToken: "!",
};

let root: string;
let sd2: DiffusionModel;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "model-builder-variants-"));
  await writeModel(join(root, "sd2-shaped"), SD2_SHAPED, { withoutVaeEncoder: true });
  sd2 = await loadModel(join(root, "sd2-shaped"), { intraOpNumThreads: 1 });
});

afterAll(async () => {
  await sd2?.release();
});

describe("SD 2.x-shaped configs", () => {
  it("load as an SD 2.x v-prediction model without a VAE encoder", () => {
    expect(sd2.facts).toMatchObject({ family: "sd2", predictionType: "v_prediction", vaeEncoderOutput: null });
  });

  it("run with linear projections, per-block heads and two transformer layers", async () => {
    const ids = new Int32Array(77).fill(0);
    ids.set([49406, 320, 2368, 49407]);
    const context = await sd2.encodeText(ids, 1);
    const sample = new Float32Array(4 * 8 * 8).map((_, i) => Math.sin(i));
    const out = await sd2.predictNoise(sample, [1, 4, 8, 8], 900, context, [1, 77, 32]);
    expect(out.length).toBe(sample.length);
    expect(out.every(Number.isFinite)).toBe(true);
  });
});

describe("inpainting UNet (in_channels 9: latents, mask, masked-image latents)", () => {
  it("takes 9 input channels and predicts 4", async () => {
    const folder = join(root, "inpaint-unet");
    await mkdir(folder);
    await writeOnnxModel(buildUNetGraph({ ...TINY.unet, in_channels: 9 }, { floatType: "float32", linearWeights: "folded" }), folder, { seed: 3 });
    const session = await InferenceSession.create(join(folder, "model.onnx"));
    try {
      expect(session.inputMetadata.find((input) => input.name === "sample")).toMatchObject({ shape: ["batch_size", 9, "height", "width"] });
      const result = await session.run({
        sample: new Tensor("float32", new Float32Array(2 * 9 * 8 * 8).fill(0.5), [2, 9, 8, 8]),
        timestep: new Tensor("float32", new Float32Array([500]), []),
        encoder_hidden_states: new Tensor("float32", new Float32Array(2 * 77 * 32).fill(0.1), [2, 77, 32]),
      });
      expect(result.out_sample.dims).toEqual([2, 4, 8, 8]);
      expect((result.out_sample.data as Float32Array).every(Number.isFinite)).toBe(true);
    } finally {
      await session.release();
    }
  });

  it("refuses SDXL's added conditioning without its widths", () => {
    const options = { floatType: "float32", linearWeights: "named" } as const;
    expect(() => buildUNetGraph({ ...TINY.unet, addition_embed_type: "text_time" }, options, { textEmbedsWidth: 32 })).toThrow(/addition_time_embed_dim/);
    const sdxl = MODEL_PRESETS["sdxl-tiny"].unet;
    expect(() => buildUNetGraph(sdxl, options)).toThrow(/pooled text embedding/);
    // 32 + 6·16 is not 30 plus whole 16-wide time ids.
    expect(() => buildUNetGraph(sdxl, options, { textEmbedsWidth: 30 })).toThrow(/whole number/);
  });
});
