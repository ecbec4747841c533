/**
 * txt2img on the real engine (tiny generated model): A1111's output contract, determinism, and that every input
 * that should change the image does (the issue's test list).
 */
import { describe, expect, it } from "vitest";
import { readPngText } from "../../../lib/a1111/images/png-text.ts";
import { GENERATION_INFO_KEYS, GenerationInfo } from "../../../lib/a1111/schemas/generation-response.ts";
import { pixelSpread, pixelsOf, tinyA1111, txt2imgJob } from "../../fixtures/engine.ts";

const base = { prompt: "a red fox", seed: 42, steps: 6, width: 128, height: 96, sampler_name: "DPM++ 2M", scheduler: "Karras" };

async function generate(body: Record<string, unknown>, options: Record<string, unknown> = {}) {
  const engine = await tinyA1111();
  return engine.generate(txt2imgJob(body, options));
}

describe("txt2img output", () => {
  it("is a non-uniform PNG of the requested size with A1111's infotext and info", async () => {
    const out = await generate(base);
    expect(out.images).toHaveLength(1);
    const { width, height } = await pixelsOf(out.images[0]!);
    expect([width, height]).toEqual([128, 96]);
    expect(await pixelSpread(out.images[0]!)).toBeGreaterThan(5);
    const infotext = readPngText(out.images[0]!).parameters!;
    expect(infotext).toMatch(/^a red fox\nSteps: 6, Sampler: DPM\+\+ 2M, Schedule type: Karras, CFG scale: 7\.0, Seed: 42, Size: 128x96, Model hash: [0-9a-f]{10}, Model: sd1-diffusers/);
    expect(GenerationInfo.parse(out.info)).toBeTruthy();
    expect(Object.keys(out.info)).toEqual(GENERATION_INFO_KEYS);
    expect(out.info.infotexts).toEqual([infotext]);
    expect(out.info.sd_model_name).toBe("sd1-diffusers");
  });

  it("puts the negative prompt line in the infotext", async () => {
    const out = await generate({ ...base, negative_prompt: "blurry" });
    expect(out.info.infotexts[0]).toContain("a red fox\nNegative prompt: blurry\nSteps: 6");
  });
});

describe("determinism", () => {
  it("gives identical bytes for the same request", async () => {
    const [a, b] = [await generate(base), await generate(base)];
    expect(a.images[0]!.equals(b.images[0]!)).toBe(true);
  });

  it.each([
    ["seed", { seed: 43 }],
    ["prompt", { prompt: "a blue whale" }],
    ["negative prompt", { negative_prompt: "ugly" }],
    ["sampler", { sampler_name: "Euler a" }],
    ["scheduler", { scheduler: "Exponential" }],
    ["step count", { steps: 7 }],
    ["CFG scale", { cfg_scale: 3 }],
    ["variation seed", { subseed: 5, subseed_strength: 0.5 }],
  ])("changes the image when the %s changes", async (_name, change) => {
    const [a, b] = [await generate(base), await generate({ ...base, ...change })];
    expect(a.images[0]!.equals(b.images[0]!)).toBe(false);
  });

  it("changes the image with the CPU noise source, and says so in the infotext", async () => {
    const [a, b] = [await generate(base), await generate(base, { randn_source: "CPU" })];
    expect(a.images[0]!.equals(b.images[0]!)).toBe(false);
    expect(b.info.infotexts[0]).toContain("RNG: CPU");
  });
});

describe("batches", () => {
  it("seeds image i with seed + i, each from its own generator, as A1111 does", async () => {
    const batch = await generate({ ...base, batch_size: 2, n_iter: 2 });
    expect(batch.images).toHaveLength(4);
    expect(batch.info.all_seeds).toEqual([42, 43, 44, 45]);
    batch.info.infotexts.forEach((text, i) => expect(text).toContain(`Seed: ${42 + i}`));
    // An image does not depend on its batch: the third image equals a lone generation at seed 44.
    const alone = await generate({ ...base, seed: 44 });
    expect(batch.images[2]!.equals(alone.images[0]!)).toBe(true);
  });

  it("draws a random seed for -1 and reports it", async () => {
    const out = await generate({ ...base, seed: -1 });
    expect(out.info.seed).toBeGreaterThanOrEqual(0);
    expect(out.info.seed).toBeLessThanOrEqual(4294967293);
    expect(out.info.infotexts[0]).toContain(`Seed: ${out.info.seed},`);
  });
});

describe("prompts", () => {
  it("runs emphasis, prompt editing, alternation, AND and BREAK", async () => {
    const prompts = ["a (red:1.4) [fox]", "a [cat:dog:0.5]", "a [cat|dog]", "a cat :1.2 AND a dog :0.8", "a cat BREAK a dog"];
    const images = await Promise.all(prompts.map((prompt) => generate({ ...base, prompt })));
    const plain = await generate({ ...base, prompt: "a cat" });
    for (const out of images) expect(out.images[0]!.equals(plain.images[0]!)).toBe(false);
  });

  it("handles a prompt longer than one 75-token chunk", async () => {
    const prompt = Array.from({ length: 60 }, (_, i) => `word${i}`).join(", ");
    const out = await generate({ ...base, prompt });
    expect(out.images).toHaveLength(1);
  });
});

describe("what the model cannot do", () => {
  it("is a 422 naming the request field the engine's plan part came from", async () => {
    // The settings in force are the stored ones with the request's override_settings applied (routes/generation.ts).
    const sent = { CLIP_stop_at_last_layers: 2 };
    await expect(generate({ ...base, override_settings: sent }, sent)).rejects.toMatchObject({
      issues: [expect.objectContaining({ loc: ["body", "override_settings", "CLIP_stop_at_last_layers"] })],
    });
  });

  it("is not a failure when only the stored settings ask for it: the deepest clip skip served is used and a warning says so", async () => {
    const out = await generate(base, { CLIP_stop_at_last_layers: 2 });
    expect(out.images).toHaveLength(1);
    expect(out.info.clip_skip).toBe(1);
    expect(out.info.infotexts[0]).not.toContain("Clip skip");
    expect(out.warnings).toEqual([expect.stringContaining("CLIP_stop_at_last_layers=2")]);
    expect((await generate(base)).images[0]!.equals(out.images[0]!)).toBe(true);
  });
});
