/** Every exporter variant docs/engine-reference.md §1.2 describes loads and generates with the same engine code. */
import { describe, expect, it } from "vitest";
import { TINY_MODEL_VARIANTS } from "../../../lib/engine/tiny-model/index.ts";
import { gradientDataUri, img2imgJob, pixelSpread, tinyA1111, txt2imgJob } from "../../fixtures/engine.ts";

describe.each(TINY_MODEL_VARIANTS)("%s", (variant) => {
  it("runs txt2img and img2img", async () => {
    const engine = await tinyA1111(variant);
    const txt = await engine.generate(txt2imgJob({ prompt: "a fox", seed: 1, steps: 4, width: 64, height: 64, sampler_name: "Euler a" }));
    expect(await pixelSpread(txt.images[0]!)).toBeGreaterThan(1);
    expect(txt.info.sd_model_name).toBe(variant);
    const img = await engine.generate(img2imgJob({ seed: 1, steps: 4, width: 64, height: 64, init_images: [await gradientDataUri(64, 64)] }));
    expect(img.images).toHaveLength(1);
  });
});
