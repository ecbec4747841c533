import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../../lib/engine/model/index.ts";
import type { DiffusionModel, Shape4 } from "../../../lib/engine/model/index.ts";
import { ensureTinyModel } from "../../../lib/engine/tiny-model/index.ts";

/**
 * The SD 1.x tiny variants carry the same weights behind different IO contracts (int32/int64 ids; float [batch],
 * int64 [steps] or rank-0 float timesteps; fp32/fp16; latent_sample/latent_parameters). If the loader adapts to
 * each contract correctly, they must compute the same thing.
 */
const VARIANTS = ["sd1-diffusers", "sd1-diffusers-fp16", "sd1-optimum-1.22", "sd1-optimum-1.24"] as const;
type Sd1Variant = (typeof VARIANTS)[number];
const models = new Map<Sd1Variant, DiffusionModel>();

beforeAll(async () => {
  const cache = join(tmpdir(), "serena-tiny-models");
  for (const variant of VARIANTS) models.set(variant, await loadModel(await ensureTinyModel(cache, variant), { intraOpNumThreads: 1 }));
});

afterAll(async () => {
  for (const model of models.values()) await model.release();
});

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a).toHaveLength(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const ids = new Int32Array(2 * 77).fill(49407);
ids.set([49406, 320, 1125, 539, 320, 2368, 49407]);
ids.set([49406, 550, 18376, 6765, 320, 4558, 49407], 77);
const shape: Shape4 = [2, 4, 8, 8];
const sample = Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.cos(i * 0.31) * 1.5);

async function context(variant: Sd1Variant): Promise<Float32Array> {
  return models.get(variant)!.encodeText(ids, 2);
}

describe("the same weights give the same results through every exporter's IO", () => {
  it("encodeText: int32 and int64 input_ids agree", async () => {
    const reference = await context("sd1-diffusers");
    expect(maxAbsDifference(await context("sd1-optimum-1.22"), reference)).toBeLessThan(1e-6);
    expect(maxAbsDifference(await context("sd1-optimum-1.24"), reference)).toBeLessThan(1e-6);
    expect(maxAbsDifference(await context("sd1-diffusers-fp16"), reference)).toBeLessThan(2e-2);
  });

  it("predictNoise at a whole timestep: float [batch], int64 [steps] and rank-0 float timesteps agree", async () => {
    const embeddings = await context("sd1-diffusers");
    const run = (variant: Sd1Variant) => models.get(variant)!.predictNoise(sample, shape, 321, embeddings, [2, 77, 32]);
    const reference = await run("sd1-diffusers");
    expect(maxAbsDifference(await run("sd1-optimum-1.22"), reference)).toBeLessThan(1e-5);
    expect(maxAbsDifference(await run("sd1-optimum-1.24"), reference)).toBeLessThan(1e-5);
    expect(maxAbsDifference(await run("sd1-diffusers-fp16"), reference)).toBeLessThan(2e-2);
  });

  it("predictNoise at a fractional timestep: float exports keep it, int64 exports round it (docs/engine-reference.md §0.2)", async () => {
    const embeddings = await context("sd1-diffusers");
    const run = (variant: Sd1Variant, t: number) => models.get(variant)!.predictNoise(sample, shape, t, embeddings, [2, 77, 32]);
    const fractional = await run("sd1-optimum-1.24", 320.6);
    expect(maxAbsDifference(await run("sd1-diffusers", 320.6), fractional)).toBeLessThan(1e-5);
    expect(maxAbsDifference(fractional, await run("sd1-optimum-1.24", 321))).toBeGreaterThan(1e-3);
    expect(maxAbsDifference(await run("sd1-optimum-1.22", 320.6), await run("sd1-optimum-1.24", 321))).toBeLessThan(1e-5);
  });

  it("decodeLatents agrees across exporters", async () => {
    const reference = await models.get("sd1-diffusers")!.decodeLatents(sample, shape);
    for (const variant of ["sd1-optimum-1.22", "sd1-optimum-1.24"] as const) {
      expect(maxAbsDifference(await models.get(variant)!.decodeLatents(sample, shape), reference)).toBeLessThan(1e-5);
    }
    expect(maxAbsDifference(await models.get("sd1-diffusers-fp16")!.decodeLatents(sample, shape), reference)).toBeLessThan(2e-2);
  });

  it("encodeImage: the latent_sample of the tiny export equals the mean of the latent_parameters export", async () => {
    const pixels = Float32Array.from({ length: 3 * 32 * 32 }, (_, i) => 0.8 * Math.sin(i * 0.05));
    const sampled = await models.get("sd1-optimum-1.22")!.encodeImage(pixels, [1, 3, 32, 32]);
    const parameters = await models.get("sd1-optimum-1.24")!.encodeImage(pixels, [1, 3, 32, 32]);
    if (sampled.kind !== "sample" || parameters.kind !== "parameters") throw new Error("unexpected VAE encoder outputs");
    expect(maxAbsDifference(sampled.sample, parameters.mean)).toBeLessThan(1e-4);
  });
});
