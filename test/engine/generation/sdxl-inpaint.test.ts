/**
 * An SDXL inpainting UNet (diffusers/stable-diffusion-xl-1.0-inpainting-0.1's shape: 9 input channels and text_time
 * conditioning), model-builder's sdxl-tiny with in_channels 9: img2img with a mask runs A1111's inpainting
 * conditioning (the mask and the masked image's latent beside the latent) with SDXL's pooled text and time ids.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runA1111Generation } from "../../../lib/a1111/generation/generate.ts";
import { loadEngine, type LoadedEngine } from "../../../lib/engine/engine.ts";
import { MODEL_PRESETS, writeModel } from "../../../lib/engine/model-builder/index.ts";
import { gradientDataUri, img2imgJob, pixelSpread } from "../../fixtures/engine.ts";

const TINY = MODEL_PRESETS["sdxl-tiny"];
let engine: LoadedEngine;

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), "sdxl-inpaint-"));
  await writeModel(join(root, "sdxl-inpaint"), { ...TINY, unet: { ...TINY.unet, in_channels: 9 } });
  engine = await loadEngine(join(root, "sdxl-inpaint"), { cacheDir: join(root, "cache"), intraOpNumThreads: 1 });
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await engine?.release();
});

describe("SDXL inpainting UNet", () => {
  it("takes the latent, the mask and the masked image's latent, with the pooled text and time ids", async () => {
    expect(engine.loaded.model.facts).toMatchObject({ family: "sdxl", unetInChannels: 9, latentChannels: 4 });
    const shapes: number[][] = [];
    const timeIds: number[][] = [];
    const predict = engine.loaded.model.predictNoise.bind(engine.loaded.model);
    vi.spyOn(engine.loaded.model, "predictNoise").mockImplementation((sample, shape, t, context, contextShape, added) => {
      shapes.push([...shape]);
      timeIds.push([...(added?.timeIds.subarray(0, 6) ?? [])]);
      return predict(sample, shape, t, context, contextShape, added);
    });
    const mask = await sharp({ create: { width: 128, height: 128, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .composite([{ input: await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer(), left: 32, top: 32 }])
      .png()
      .toBuffer();
    const body = { prompt: "a fox", seed: 5, steps: 3, width: 128, height: 128, init_images: [await gradientDataUri(128, 128)], mask: mask.toString("base64"), inpaint_full_res: false };
    const out = await runA1111Generation(img2imgJob(body), engine);
    expect(await pixelSpread(out.images[0]!)).toBeGreaterThan(5);
    expect(out.info.infotexts[0]).toContain("Conditional mask weight: 1.0");
    expect(shapes.every((shape) => shape[1] === 9)).toBe(true);
    expect(timeIds[0]).toEqual([128, 128, 0, 0, 128, 128]);
  });
});
