/** img2img on the real engine: A1111's denoising-strength arithmetic made visible, resize modes, batches. */
import { describe, expect, it } from "vitest";
import { gradientDataUri, img2imgJob, meanAbsDiff, pixelsOf, tinyA1111 } from "../../fixtures/engine.ts";
import sharp from "sharp";

const initOf = async (uri: string) => Buffer.from(uri.split(",")[1]!, "base64");

describe("img2img", () => {
  it("stays closer to the init image at denoising strength 0.3 than at 0.9", async () => {
    const engine = await tinyA1111();
    const init = await gradientDataUri(128, 128);
    const body = { prompt: "a painting", seed: 3, steps: 20, width: 128, height: 128, init_images: [init] };
    const low = await engine.generate(img2imgJob({ ...body, denoising_strength: 0.3 }));
    const high = await engine.generate(img2imgJob({ ...body, denoising_strength: 0.9 }));
    const initPng = await initOf(init);
    const [dLow, dHigh] = [await meanAbsDiff(low.images[0]!, initPng), await meanAbsDiff(high.images[0]!, initPng)];
    expect(dLow).toBeLessThan(dHigh);
    expect(low.info.infotexts[0]).toContain("Denoising strength: 0.3");
  });

  it("runs t_enc + 1 steps (20 steps at 0.75 → 16, docs/a1111-semantics.md §8)", async () => {
    const engine = await tinyA1111();
    let last = 0;
    await engine.generate(img2imgJob({ seed: 1, steps: 20, width: 64, height: 64, denoising_strength: 0.75, init_images: [await gradientDataUri(64, 64)] }), {
      onProgress: (u) => (last = u.samplingSteps),
    });
    expect(last).toBe(16);
  });

  it.each([0, 1, 2, 3])("resize mode %i gives the requested size from a differently shaped image", async (mode) => {
    const engine = await tinyA1111();
    const out = await engine.generate(
      img2imgJob({ seed: 2, steps: 4, width: 96, height: 64, resize_mode: mode, init_images: [await gradientDataUri(50, 80)] }),
    );
    const { width, height } = await pixelsOf(out.images[0]!);
    expect([width, height]).toEqual([96, 64]);
  });

  it("uses one init image per batch entry when several are sent", async () => {
    const engine = await tinyA1111();
    const a = await gradientDataUri(64, 64);
    const flipped = `data:image/png;base64,${(await sharp(await initOf(a)).flop().png().toBuffer()).toString("base64")}`;
    const out = await engine.generate(img2imgJob({ seed: 5, steps: 4, width: 64, height: 64, batch_size: 4, init_images: [a, flipped] }));
    expect(out.images).toHaveLength(2);
    expect(out.info.all_seeds).toEqual([5, 6]);
  });
});
