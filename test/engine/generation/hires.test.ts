/**
 * Hires fix (A1111 `sample_hr_pass`): a first pass at width × height, an upscale, and an img2img second pass at the
 * target size; the infotext records it the way A1111 does, with `Size` the first pass's.
 */
import { describe, expect, it } from "vitest";
import { hiresTarget } from "../../../lib/a1111/generation/hires.ts";
import { Txt2ImgRequest } from "../../../lib/a1111/schemas/generation.ts";
import { pixelsOf, tinyA1111, txt2imgJob } from "../../fixtures/engine.ts";

const base = { prompt: "a castle", seed: 11, steps: 6, width: 64, height: 64, enable_hr: true };

describe("hires fix on the engine", () => {
  it("doubles the size with hr_scale 2 and records the hires fields", async () => {
    const engine = await tinyA1111();
    const updates: Array<[number, number]> = [];
    const out = await engine.generate(txt2imgJob({ ...base, hr_scale: 2, hr_second_pass_steps: 4 }), {
      onProgress: (u) => updates.push([u.jobNo, u.jobCount]),
    });
    const { width, height } = await pixelsOf(out.images[0]!);
    expect([width, height]).toEqual([128, 128]);
    expect(out.info.infotexts[0]).toContain("Size: 64x64");
    expect(out.info.infotexts[0]).toContain("Denoising strength: 0.7, Hires upscale: 2.0, Hires steps: 4");
    expect(out.info.denoising_strength).toBe(0.7);
    expect(updates[0]).toEqual([0, 2]);
    expect(updates.at(-1)).toEqual([1, 2]);
  });

  it("changes the image compared with the first pass alone", async () => {
    const engine = await tinyA1111();
    const lowRes = await engine.generate(txt2imgJob({ ...base, enable_hr: false, width: 128, height: 128 }));
    const hires = await engine.generate(txt2imgJob({ ...base, hr_scale: 2 }));
    expect(hires.images[0]!.equals(lowRes.images[0]!)).toBe(false);
  });

  it.each(["Latent", "Latent (nearest)", "Latent (bicubic antialiased)", "Lanczos", "Nearest", "None"])(
    "upscales with %s",
    async (hr_upscaler) => {
      const engine = await tinyA1111();
      const out = await engine.generate(txt2imgJob({ ...base, hr_scale: 1.5, hr_upscaler, denoising_strength: 0.5 }));
      const { width, height } = await pixelsOf(out.images[0]!);
      expect([width, height]).toEqual([96, 96]);
      expect(out.info.infotexts[0]).toContain(`Hires upscaler: ${hr_upscaler}`);
    },
  );

  it("crops to hr_resize_x × hr_resize_y keeping the first pass's aspect", async () => {
    const engine = await tinyA1111();
    const out = await engine.generate(txt2imgJob({ ...base, hr_resize_x: 128, hr_resize_y: 96 }));
    const { width, height } = await pixelsOf(out.images[0]!);
    expect([width, height]).toEqual([128, 96]);
    expect(out.info.infotexts[0]).toContain("Hires resize: 128x96");
  });

  it("uses a different sampler for the second pass when asked", async () => {
    const engine = await tinyA1111();
    const out = await engine.generate(txt2imgJob({ ...base, hr_scale: 2, hr_sampler_name: "Euler a" }));
    expect(out.info.infotexts[0]).toContain("Hires sampler: Euler a");
  });
});

describe("hires targets (A1111 StableDiffusionProcessingTxt2Img.init)", () => {
  const request = (r: Record<string, unknown>) => Txt2ImgRequest.parse({ width: 512, height: 768, ...r });
  it.each([
    [{ hr_scale: 1.5 }, { upscaleWidth: 768, upscaleHeight: 1152, truncateX: 0, truncateY: 0 }],
    [{ hr_resize_x: 1024 }, { upscaleWidth: 1024, upscaleHeight: 1536, truncateX: 0, truncateY: 0 }],
    [{ hr_resize_y: 1024 }, { upscaleWidth: 682, upscaleHeight: 1024, truncateX: 0, truncateY: 0 }],
    [{ hr_resize_x: 1024, hr_resize_y: 1024 }, { upscaleWidth: 1024, upscaleHeight: 1536, truncateX: 0, truncateY: 64 }],
  ])("%o gives %o", (fields, expected) => {
    expect(hiresTarget(request(fields))).toEqual(expected);
  });

  it("refuses a target past the size bound with 422 at hr_scale", () => {
    const result = Txt2ImgRequest.safeParse({ width: 1024, height: 1024, enable_hr: true, hr_scale: 4 });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(["hr_scale"]);
  });
});
