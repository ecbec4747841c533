import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_VAE_SCALING_FACTOR, loadModel } from "../../../lib/engine/model/index.ts";
import type { DiffusionModel } from "../../../lib/engine/model/index.ts";
import { detectFamily } from "../../../lib/engine/model/model-facts.ts";
import { ensureTinyModel, TINY_MODEL_VARIANTS } from "../../../lib/engine/tiny-model/index.ts";
import type { TinyModelVariant } from "../../../lib/engine/tiny-model/index.ts";

const cache = join(tmpdir(), "serena-tiny-models");
const dirs = new Map<TinyModelVariant, string>();
const models = new Map<TinyModelVariant, DiffusionModel>();

beforeAll(async () => {
  for (const variant of TINY_MODEL_VARIANTS) {
    const dir = await ensureTinyModel(cache, variant);
    dirs.set(variant, dir);
    models.set(variant, await loadModel(dir, { intraOpNumThreads: 1, interOpNumThreads: 1 }));
  }
});

afterAll(async () => {
  for (const model of models.values()) await model.release();
});

describe("model facts", () => {
  // Expected facts follow the variant table (docs/engine-reference.md §1.2) and folder contents (§1.1): SD 2.x uses
  // v_prediction; int64 timesteps for optimum < 1.24; latent_parameters from optimum 1.23 on.
  it.each([
    ["sd1-diffusers", "sd1", "epsilon", 32, "float32", false, "latent_sample"],
    ["sd1-diffusers-fp16", "sd1", "epsilon", 32, "float16", false, "latent_sample"],
    ["sd1-optimum-1.22", "sd1", "epsilon", 32, "float32", true, "latent_sample"],
    ["sd2-optimum-1.23", "sd2", "v_prediction", 48, "float32", true, "latent_parameters"],
    ["sd1-optimum-1.24", "sd1", "epsilon", 32, "float32", false, "latent_parameters"],
  ] as const)("%s: %s, %s, hidden %d, %s, integer timesteps %s, %s", (variant, family, prediction, hidden, precision, integer, vae) => {
    const facts = models.get(variant)!.facts;
    expect(facts).toMatchObject({
      name: variant,
      family,
      predictionType: prediction,
      textHiddenSize: hidden,
      precision,
      integerTimesteps: integer,
      vaeEncoderOutput: vae,
      latentChannels: 4,
      unetBatch: "dynamic",
      vaeScalingFactor: 0.18215,
    });
  });

  it.each(TINY_MODEL_VARIANTS)("%s: the noise schedule comes from scheduler_config.json (docs/engine-reference.md §1.1)", (variant) => {
    expect(models.get(variant)!.facts.noiseSchedule).toEqual({
      betaStart: 0.00085,
      betaEnd: 0.012,
      betaSchedule: "scaled_linear",
      numTrainTimesteps: 1000,
      trainedBetas: null,
    });
  });

  it.each(TINY_MODEL_VARIANTS)("%s: hash is the first 10 hex digits of sha256(unet/model.onnx)", async (variant) => {
    const expected = createHash("sha256").update(await readFile(join(dirs.get(variant)!, "unet/model.onnx"))).digest("hex");
    expect(models.get(variant)!.facts.hash).toBe(expected.slice(0, 10));
  });

  it("points the tokenizer helper at the folder's tokenizer/", () => {
    expect(models.get("sd1-diffusers")!.facts.tokenizerDir).toBe(join(dirs.get("sd1-diffusers")!, "tokenizer"));
  });

  it("reads scaling_factor from vae_decoder/config.json and defaults to 0.18215 without it (docs/engine-reference.md §1.3)", async () => {
    expect(DEFAULT_VAE_SCALING_FACTOR).toBe(0.18215);
    const copy = await mkdtemp(join(tmpdir(), "sdxl-vae-"));
    await cp(dirs.get("sd1-optimum-1.24")!, copy, { recursive: true });
    const configPath = join(copy, "vae_decoder/config.json");
    const config = JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>;
    // 0.13025: the SDXL VAE's factor, andrewcchoi/stabilityai-stable-diffusion-xl-base-1.0 (docs/engine-reference.md §1.3).
    await writeFile(configPath, JSON.stringify({ ...config, scaling_factor: 0.13025 }));
    const model = await loadModel(copy);
    expect(model.facts.vaeScalingFactor).toBe(0.13025);
    await model.release();
  });
});

describe("model family", () => {
  // docs/engine-reference.md §1.1: encoder_hidden_states width 768 → SD 1.x, 1024 → SD 2.x; §6.1: SD 2.x pads with "!".
  it("goes by the text hidden size for real models", () => {
    expect(detectFamily(768, "!")).toBe("sd1");
    expect(detectFamily(1024, "<|endoftext|>")).toBe("sd2");
  });

  it("goes by the tokenizer's pad token for other sizes", () => {
    expect(detectFamily(32, "<|endoftext|>")).toBe("sd1");
    expect(detectFamily(48, "!")).toBe("sd2");
    expect(detectFamily(32, null)).toBe("sd1");
  });
});

function ramp(count: number, scale = 1): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => scale * Math.sin(i * 0.7));
}

function framedIds(batch: number, pad: number): Int32Array {
  const ids = new Int32Array(batch * 77).fill(pad);
  for (let b = 0; b < batch; b++) ids.set([49406, 320, 2368 + b, 49407], b * 77);
  return ids;
}

describe("methods work on Float32Array NCHW data for every exporter variant", () => {
  it.each(TINY_MODEL_VARIANTS)("%s: encodeText → [B,77,D] float32", async (variant) => {
    const model = models.get(variant)!;
    const hidden = model.facts.textHiddenSize;
    const embeddings = await model.encodeText(framedIds(2, 49407), 2);
    expect(embeddings).toBeInstanceOf(Float32Array);
    expect(embeddings).toHaveLength(2 * 77 * hidden);
    expect(embeddings.subarray(0, 77 * hidden)).not.toEqual(embeddings.subarray(77 * hidden));
  });

  it.each(TINY_MODEL_VARIANTS)("%s: predictNoise → [B,4,h,w] float32, for context lengths 77 and 154", async (variant) => {
    const model = models.get(variant)!;
    const hidden = model.facts.textHiddenSize;
    for (const sequence of [77, 154]) {
      const out = await model.predictNoise(ramp(2 * 4 * 6 * 10), [2, 4, 6, 10], 412.25, ramp(2 * sequence * hidden), [2, sequence, hidden]);
      expect(out).toBeInstanceOf(Float32Array);
      expect(out).toHaveLength(2 * 4 * 6 * 10);
      expect(out.every(Number.isFinite)).toBe(true);
    }
  });

  it.each(TINY_MODEL_VARIANTS)("%s: decodeLatents → [B,3,8h,8w] float32", async (variant) => {
    const image = await models.get(variant)!.decodeLatents(ramp(2 * 4 * 4 * 6, 5), [2, 4, 4, 6]);
    expect(image).toBeInstanceOf(Float32Array);
    expect(image).toHaveLength(2 * 3 * 32 * 48);
  });

  it.each(TINY_MODEL_VARIANTS)("%s: encodeImage → latents at H/8 × W/8", async (variant) => {
    const model = models.get(variant)!;
    const encoded = await model.encodeImage(ramp(2 * 3 * 32 * 48, 0.9), [2, 3, 32, 48]);
    expect(encoded.shape).toEqual([2, 4, 4, 6]);
    const latents = encoded.kind === "parameters" ? [encoded.mean, encoded.logvar] : [encoded.sample];
    expect(encoded.kind).toBe(model.facts.vaeEncoderOutput === "latent_parameters" ? "parameters" : "sample");
    for (const values of latents) {
      expect(values).toBeInstanceOf(Float32Array);
      expect(values).toHaveLength(2 * 4 * 4 * 6);
    }
  });

  it("splits latent_parameters per image into mean (channels 0–3) and logvar (channels 4–7)", async () => {
    const model = models.get("sd1-optimum-1.24")!;
    const pixels = ramp(2 * 3 * 16 * 16, 0.9);
    const both = await model.encodeImage(pixels, [2, 3, 16, 16]);
    const second = await model.encodeImage(pixels.subarray(3 * 16 * 16), [1, 3, 16, 16]);
    if (both.kind !== "parameters" || second.kind !== "parameters") throw new Error("expected latent_parameters");
    expect(both.mean.subarray(4 * 4)).toEqual(second.mean);
    expect(both.logvar.subarray(4 * 4)).toEqual(second.logvar);
  });

  it("decodes an fp16 batch image by image, with the same result as one image at a time", async () => {
    const model = models.get("sd1-diffusers-fp16")!;
    const latents = ramp(3 * 4 * 4 * 4, 5);
    const batch = await model.decodeLatents(latents, [3, 4, 4, 4]);
    const last = await model.decodeLatents(latents.subarray(2 * 64), [1, 4, 4, 4]);
    expect(batch.subarray(2 * 3 * 32 * 32)).toEqual(last);
  });

  it("reopens the VAE's sessions (returning their arenas' memory): decodes and encodes as before, and releases cleanly", async () => {
    const model = models.get("sd1-diffusers")!;
    const latents = ramp(4 * 8 * 8, 5);
    const pixels = ramp(3 * 64 * 64, 0.9);
    const decoded = await model.decodeLatents(latents, [1, 4, 8, 8]);
    const encoded = await model.encodeImage(pixels, [1, 3, 64, 64]);
    await model.reopenVae();
    await model.reopenVae();
    expect(await model.decodeLatents(latents, [1, 4, 8, 8])).toEqual(decoded);
    expect(await model.encodeImage(pixels, [1, 3, 64, 64])).toEqual(encoded);
  });

  it("rejects data whose length does not match its shape", async () => {
    const model = models.get("sd1-diffusers")!;
    await expect(model.predictNoise(new Float32Array(10), [1, 4, 8, 8], 1, new Float32Array(77 * 32), [1, 77, 32])).rejects.toThrow(RangeError);
    await expect(model.encodeText(new Int32Array(76), 1)).resolves.toHaveLength(76 * 32);
    await expect(model.encodeText(new Int32Array(77), 2)).rejects.toThrow(RangeError);
    await expect(
      model.predictNoise(new Float32Array(2 * 256), [2, 4, 8, 8], 1, new Float32Array(77 * 32), [1, 77, 32]),
    ).rejects.toThrow(/batch/);
  });
});
