import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../../lib/engine/model/index.ts";
import type { DiffusionModel, Shape4 } from "../../../lib/engine/model/index.ts";
import { ensureTinyModel, TINY_MODEL_VARIANTS, UNET_RESIDUAL_SCALE } from "../../../lib/engine/tiny-model/index.ts";
import type { TinyModelVariant } from "../../../lib/engine/tiny-model/index.ts";

// Token ids from docs/engine-reference.md §6.2, framed as the SD pipeline does (§6.1): BOS, tokens, EOS, then pad to 77.
const A_PHOTO_OF_A_CAT = [320, 1125, 539, 320, 2368];
const AN_ASTRONAUT_RIDING_A_HORSE = [550, 18376, 6765, 320, 4558];

function framed(tokens: readonly number[], pad: number): Int32Array {
  const ids = new Int32Array(77).fill(pad);
  ids.set([49406, ...tokens, 49407]);
  return ids;
}

// docs/engine-reference.md §2.2: A1111 "Uniform" schedule for 20 steps, t = linspace(999, 0, 20).
const UNIFORM_SIGMAS_20 = [
  14.6146, 10.7468, 8.0815, 6.2049, 4.8557, 3.8654, 3.1238, 2.5572, 2.1157, 1.7648, 1.4806, 1.2458, 1.0481, 0.8784,
  0.7297, 0.5964, 0.4736, 0.3555, 0.2322, 0.0292, 0,
];
const UNIFORM_TIMESTEPS_20 = Array.from({ length: 20 }, (_, i) => 999 - (999 * i) / 19);

function deterministicNoise(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed;
  const uniform = () => {
    state = (state * 48271) % 2147483647;
    return state / 2147483647;
  };
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

function stats(values: Float32Array): { mean: number; std: number; maxAbs: number } {
  let sum = 0;
  let squares = 0;
  let maxAbs = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(squares / values.length - mean * mean), maxAbs };
}

function meanAbsDifference(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/**
 * k-diffusion Euler with classifier-free guidance over the σ table (docs/engine-reference.md §2.4–2.5): model input x·c_in,
 * ε- or v-parameterised denoiser, CFG in denoised space, x ← x + d·(σ_{i+1} − σ_i).
 */
async function sampleEuler(model: DiffusionModel, cond: Float32Array, uncond: Float32Array, scale: number): Promise<Float32Array> {
  const shape: Shape4 = [1, 4, 32, 32];
  const contextShape = [1, 77, model.facts.textHiddenSize] as const;
  const x = deterministicNoise(4 * 32 * 32, 12345).map((v) => v * UNIFORM_SIGMAS_20[0]);
  for (let i = 0; i < 20; i++) {
    const sigma = UNIFORM_SIGMAS_20[i];
    const cIn = 1 / Math.sqrt(sigma * sigma + 1);
    const input = x.map((v) => v * cIn);
    const outC = await model.predictNoise(input, shape, UNIFORM_TIMESTEPS_20[i], cond, contextShape);
    const outU = await model.predictNoise(input, shape, UNIFORM_TIMESTEPS_20[i], uncond, contextShape);
    const denoise = (xk: number, out: number) =>
      model.facts.predictionType === "epsilon" ? xk - sigma * out : xk / (sigma * sigma + 1) - sigma * cIn * out;
    for (let k = 0; k < x.length; k++) {
      const dU = denoise(x[k], outU[k]);
      const denoised = dU + scale * (denoise(x[k], outC[k]) - dU);
      x[k] += ((x[k] - denoised) / sigma) * (UNIFORM_SIGMAS_20[i + 1] - sigma);
    }
  }
  return x;
}

const models = new Map<TinyModelVariant, DiffusionModel>();

beforeAll(async () => {
  const cache = join(tmpdir(), "serena-tiny-models");
  for (const variant of TINY_MODEL_VARIANTS) {
    models.set(variant, await loadModel(await ensureTinyModel(cache, variant), { intraOpNumThreads: 1 }));
  }
});

afterAll(async () => {
  for (const model of models.values()) await model.release();
});

async function embed(model: DiffusionModel, tokens: readonly number[]): Promise<Float32Array> {
  return model.encodeText(framed(tokens, model.facts.family === "sd2" ? 0 : 49407), 1);
}

describe("the UNet depends on sample, timestep and text", () => {
  it.each(TINY_MODEL_VARIANTS)("%s", async (variant) => {
    const model = models.get(variant)!;
    const shape: Shape4 = [1, 4, 8, 8];
    const contextShape = [1, 77, model.facts.textHiddenSize] as const;
    const sample = deterministicNoise(256, 1);
    const cat = await embed(model, A_PHOTO_OF_A_CAT);
    const base = await model.predictNoise(sample, shape, 500, cat, contextShape);

    const otherSample = await model.predictNoise(deterministicNoise(256, 2), shape, 500, cat, contextShape);
    const otherTime = await model.predictNoise(sample, shape, 700, cat, contextShape);
    const astronaut = await embed(model, AN_ASTRONAUT_RIDING_A_HORSE);
    const otherText = await model.predictNoise(sample, shape, 500, astronaut, contextShape);
    expect(meanAbsDifference(base, otherSample)).toBeGreaterThan(0.1);
    expect(meanAbsDifference(base, otherTime)).toBeGreaterThan(0.01);
    expect(meanAbsDifference(base, otherText)).toBeGreaterThan(0.01);
  });
});

describe("the UNet behaves like a denoiser: output = input + a bounded term", () => {
  it.each(TINY_MODEL_VARIANTS)("%s", async (variant) => {
    const model = models.get(variant)!;
    const sample = deterministicNoise(4 * 16 * 16, 3).map((v) => 3 * v);
    const context = await embed(model, A_PHOTO_OF_A_CAT);
    const out = await model.predictNoise(sample, [1, 4, 16, 16], 321.5, context, [1, 77, model.facts.textHiddenSize]);
    const tolerance = model.facts.precision === "float16" ? 0.01 : 1e-5;
    const residual = out.map((v, i) => v - sample[i]);
    expect(stats(residual).maxAbs).toBeLessThanOrEqual(UNET_RESIDUAL_SCALE + tolerance);
    expect(stats(residual).std).toBeGreaterThan(0.02);
  });
});

describe("sampling stays bounded and the prompt changes the result", () => {
  it.each(["sd1-diffusers", "sd2-optimum-1.23"] as const)("%s: 20 Euler steps, CFG 7", async (variant) => {
    const model = models.get(variant)!;
    const empty = await embed(model, []);
    const cat = await sampleEuler(model, await embed(model, A_PHOTO_OF_A_CAT), empty, 7);
    const astronaut = await sampleEuler(model, await embed(model, AN_ASTRONAUT_RIDING_A_HORSE), empty, 7);
    const { std, maxAbs } = stats(cat);
    expect(Number.isFinite(maxAbs)).toBe(true);
    expect(std).toBeGreaterThan(0.1);
    expect(maxAbs).toBeLessThan(6);
    expect(meanAbsDifference(cat, astronaut)).toBeGreaterThan(0.02);
  });
});

describe("the VAE decoder paints a colourful image in [-1, 1]", () => {
  it.each(TINY_MODEL_VARIANTS)("%s", async (variant) => {
    const model = models.get(variant)!;
    const latents = deterministicNoise(4 * 8 * 8, 4).map((v) => v / model.facts.vaeScalingFactor);
    const image = await model.decodeLatents(latents, [1, 4, 8, 8]);
    const plane = 64 * 64;
    const channels = [0, 1, 2].map((c) => stats(image.subarray(c * plane, (c + 1) * plane)));
    for (const channel of channels) {
      expect(channel.maxAbs).toBeLessThanOrEqual(1);
      expect(channel.std).toBeGreaterThan(0.1);
    }
    let spread = 0;
    for (let p = 0; p < plane; p++) {
      const rgb = [image[p], image[plane + p], image[2 * plane + p]];
      spread += Math.max(...rgb) - Math.min(...rgb);
    }
    expect(spread / plane).toBeGreaterThan(0.2);
  });
});

describe("the VAE encoder roughly inverts the decoder", () => {
  function smoothImage(height: number, width: number): Float32Array {
    const image = new Float32Array(3 * height * width);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          image[(c * height + y) * width + x] = 0.8 * Math.sin((Math.PI * (c + 1) * x) / width + (2 * y) / height);
        }
      }
    }
    return image;
  }

  it.each(TINY_MODEL_VARIANTS)("%s: encode → decode returns a close copy of a smooth image", async (variant) => {
    const model = models.get(variant)!;
    const image = smoothImage(128, 96);
    const encoded = await model.encodeImage(image, [1, 3, 128, 96]);
    expect(encoded.shape).toEqual([1, 4, 16, 12]);
    const latents = encoded.kind === "parameters" ? encoded.mean : encoded.sample;
    const decoded = await model.decodeLatents(latents, encoded.shape);
    expect(meanAbsDifference(decoded, image)).toBeLessThan(0.03);
    const flat = new Float32Array(image.length).fill(0.1);
    expect(meanAbsDifference(decoded, flat)).toBeGreaterThan(0.3);
  });

  it("latent_parameters exports give a narrow posterior (logvar well below 0)", async () => {
    const encoded = await models.get("sd1-optimum-1.24")!.encodeImage(smoothImage(64, 64), [1, 3, 64, 64]);
    expect(encoded.kind).toBe("parameters");
    if (encoded.kind === "parameters") expect(stats(encoded.logvar).mean).toBeLessThan(-5);
  });
});

describe("the text encoder is CLIP-shaped", () => {
  it("is causal: a token changes its own and later positions only", async () => {
    const model = models.get("sd1-diffusers")!;
    const hidden = model.facts.textHiddenSize;
    const cat = await embed(model, A_PHOTO_OF_A_CAT);
    // "a photo of a" + "an" (550, docs/engine-reference.md §6.2) instead of "cat": position 5 of 77 (after BOS) differs.
    const changed = await embed(model, [...A_PHOTO_OF_A_CAT.slice(0, 4), 550]);
    const changedAt = (position: number) =>
      meanAbsDifference(cat.subarray(position * hidden, (position + 1) * hidden), changed.subarray(position * hidden, (position + 1) * hidden));
    for (let position = 0; position < 5; position++) expect(changedAt(position)).toBe(0);
    for (const position of [5, 6, 40, 76]) expect(changedAt(position)).toBeGreaterThan(0);
  });

  it("accepts any sequence length the UNet is given (77, 154, 231)", async () => {
    const model = models.get("sd1-optimum-1.24")!;
    const hidden = model.facts.textHiddenSize;
    const chunks = [A_PHOTO_OF_A_CAT, AN_ASTRONAUT_RIDING_A_HORSE, []];
    const sample = deterministicNoise(4 * 8 * 8, 5);
    for (let count = 1; count <= 3; count++) {
      const context = new Float32Array(count * 77 * hidden);
      for (let i = 0; i < count; i++) context.set(await embed(model, chunks[i]), i * 77 * hidden);
      const out = await model.predictNoise(sample, [1, 4, 8, 8], 250, context, [1, count * 77, hidden]);
      expect(out).toHaveLength(sample.length);
    }
  });
});
