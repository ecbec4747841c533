/**
 * SDXL txt2img on the real engine with the generated tiny SDXL exports (lib/engine/tiny-model, optimum layout):
 * A1111's output contract at SDXL sizes, determinism, and what reaches the UNet — the pooled text embedding and
 * time ids of A1111 v1.10's modules/sd_models_xl.py `get_learned_conditioning` (original size = target size = the
 * request's height and width, crop = opts.sdxl_crop_top/left, a zeroed empty negative prompt; the refiner's
 * aesthetic scores opts.sdxl_refiner_high/low_aesthetic_score).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { readPngText } from "../../../lib/a1111/images/png-text.ts";
import type { AddedCondition, Shape3 } from "../../../lib/engine/model/index.ts";
import { runA1111Generation } from "../../../lib/a1111/generation/generate.ts";
import { completedRatio } from "../../../lib/engine/pipeline/refiner.ts";
import { gradientDataUri, img2imgJob, pixelSpread, pixelsOf, tinyA1111, tinyEngine, tinyModelDir, txt2imgJob } from "../../fixtures/engine.ts";

const base = { prompt: "a red fox", negative_prompt: "blurry", seed: 42, steps: 3, width: 256, height: 256, sampler_name: "Euler" };

async function generate(body: Record<string, unknown>, options: Record<string, unknown> = {}, variant: "sdxl-optimum" | "sdxl-refiner-optimum" = "sdxl-optimum") {
  const engine = await tinyA1111(variant);
  return engine.generate(txt2imgJob(body, options));
}

interface UnetCall {
  readonly contextShape: Shape3;
  readonly context: Float32Array;
  readonly added: AddedCondition | undefined;
}

/** Records every UNet call of `variant` (copies: the denoiser reuses its buffers). */
async function recordUnetCalls(variant: "sdxl-optimum" | "sdxl-refiner-optimum"): Promise<UnetCall[]> {
  const { model } = (await tinyEngine(variant)).loaded;
  const calls: UnetCall[] = [];
  const original = model.predictNoise.bind(model);
  vi.spyOn(model, "predictNoise").mockImplementation((sample, shape, t, context, contextShape, added) => {
    calls.push({
      contextShape,
      context: context.slice(),
      added: added && { textEmbeds: added.textEmbeds.slice(), timeIds: added.timeIds.slice() },
    });
    return original(sample, shape, t, context, contextShape, added);
  });
  return calls;
}

const rows = (values: Float32Array, width: number) => Array.from({ length: values.length / width }, (_, i) => [...values.subarray(i * width, (i + 1) * width)]);
const allZero = (values: Float32Array | number[]) => values.every((v) => v === 0);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("SDXL txt2img output", () => {
  it.each([
    [1024, 1024],
    [832, 1216],
  ])("is a %ix%i PNG with A1111's infotext", async (width, height) => {
    const out = await generate({ ...base, steps: 2, width, height });
    expect(out.images).toHaveLength(1);
    expect(await pixelsOf(out.images[0]!)).toMatchObject({ width, height });
    expect(await pixelSpread(out.images[0]!)).toBeGreaterThan(5);
    const infotext = readPngText(out.images[0]!).parameters!;
    expect(infotext).toMatch(
      new RegExp(`^a red fox\\nNegative prompt: blurry\\nSteps: 2, Sampler: Euler, Schedule type: Automatic, CFG scale: 7\\.0, Seed: 42, Size: ${width}x${height}, Model hash: [0-9a-f]{10}, Model: sdxl-optimum`),
    );
    expect(out.info.sd_model_name).toBe("sdxl-optimum");
  });
});

describe("SDXL determinism and inputs", () => {
  it("gives identical bytes for the same request", async () => {
    const [a, b] = [await generate(base), await generate(base)];
    expect(a.images[0]!.equals(b.images[0]!)).toBe(true);
  });

  it.each([
    ["prompt", { prompt: "a blue whale" }, {}],
    ["negative prompt", { negative_prompt: "ugly" }, {}],
    ["empty negative prompt", { negative_prompt: "" }, {}],
    ["size", { width: 320 }, {}],
    ["crop top", {}, { sdxl_crop_top: 64 }],
    ["crop left", {}, { sdxl_crop_left: 64 }],
    ["emphasis", { prompt: "a (red:1.5) fox" }, {}],
  ])("changes the image when the %s changes", async (_name, change, options) => {
    const [a, b] = [await generate(base), await generate({ ...base, ...change }, options)];
    expect(a.images[0]!.equals(b.images[0]!)).toBe(false);
  });
});

describe("clip skip on SDXL (A1111 opts.sdxl_clip_l_skip)", () => {
  it("is ignored by default, as A1111's SDXL embedders read hidden_states[-2] whatever CLIP_stop_at_last_layers says", async () => {
    const [a, b] = [await generate(base), await generate(base, { CLIP_stop_at_last_layers: 2 })];
    // The pixels: the infotext (in the PNG) says "Clip skip: 2" either way, as A1111's does.
    expect((await pixelsOf(b.images[0]!)).data.equals((await pixelsOf(a.images[0]!)).data)).toBe(true);
  });

  it("with sdxl_clip_l_skip, text_encoder gives hidden_states[-n]: n = 2 is the default encoding, n = 1 another", async () => {
    const plain = await generate(base);
    const two = await generate(base, { sdxl_clip_l_skip: true, CLIP_stop_at_last_layers: 2 });
    const one = await generate(base, { sdxl_clip_l_skip: true, CLIP_stop_at_last_layers: 1 });
    const pixels = async (out: typeof plain) => (await pixelsOf(out.images[0]!)).data;
    expect((await pixels(two)).equals(await pixels(plain))).toBe(true);
    expect((await pixels(one)).equals(await pixels(plain))).toBe(false);
  });

  it("past the embeddings is a 422 on CLIP_stop_at_last_layers", async () => {
    await expect(generate(base, { sdxl_clip_l_skip: true, CLIP_stop_at_last_layers: 4 })).rejects.toThrow(/CLIP_stop_at_last_layers: clip skip 4/);
  });
});

describe("SDXL conditioning reaching the UNet", () => {
  it("passes the pooled text and time ids (height, width, crop top, left, height, width) for cond and uncond", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    await generate({ ...base, width: 320, height: 256 }, { sdxl_crop_top: 8, sdxl_crop_left: 16 });
    expect(calls).toHaveLength(3);
    const { facts } = (await tinyEngine("sdxl-optimum")).loaded.model;
    for (const call of calls) {
      // One UNet batch: the cond and the uncond, each with its own pooled output and time ids.
      expect(call.contextShape).toEqual([2, 77, facts.textHiddenSize]);
      expect(rows(call.added!.timeIds, 6)).toEqual([
        [256, 320, 8, 16, 256, 320],
        [256, 320, 8, 16, 256, 320],
      ]);
      const [cond, uncond] = rows(call.added!.textEmbeds, facts.sdxl!.pooledWidth);
      expect(allZero(cond!)).toBe(false);
      expect(allZero(uncond!)).toBe(false);
      expect(cond).not.toEqual(uncond);
    }
  });

  it("zeroes the context and pooled text of an empty negative prompt, keeping its time ids", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    await generate({ ...base, negative_prompt: "" });
    const call = calls[0]!;
    const perSample = call.context.length / 2;
    const pooled = rows(call.added!.textEmbeds, call.added!.textEmbeds.length / 2);
    expect(allZero(call.context.subarray(0, perSample))).toBe(false);
    expect(allZero(call.context.subarray(perSample))).toBe(true);
    expect(allZero(pooled[0]!)).toBe(false);
    expect(allZero(pooled[1]!)).toBe(true);
    expect(rows(call.added!.timeIds, 6)[1]).toEqual([256, 256, 0, 0, 256, 256]);
  });

  it("does not zero a negative prompt that is empty at some steps only ([:ugly:2])", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    await generate({ ...base, negative_prompt: "[:ugly:2]" });
    const uncond = calls[0]!.context.subarray(calls[0]!.context.length / 2);
    expect(allZero(uncond)).toBe(false);
  });

  it("sends the pooled output of the first chunk: a second chunk (BREAK) leaves it unchanged", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    await generate({ ...base, prompt: "a red fox BREAK in the snow" });
    const firstRun = calls.length;
    await generate({ ...base, prompt: "a red fox BREAK on a beach" });
    // The 154-token cond and the 77-token uncond run as separate UNet batches.
    const [first, second] = [calls[0]!, calls[firstRun]!];
    expect(first.contextShape).toEqual([1, 154, first.context.length / 154]);
    const pooledOf = (call: UnetCall) => [...call.added!.textEmbeds];
    expect(pooledOf(first)).toEqual(pooledOf(second));
    expect(first.context).not.toEqual(second.context);
  });

  it("gives each AND part its own pooled text, all with the same time ids (composable diffusion as for SD 1.x)", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    await generate({ ...base, prompt: "a red fox AND a snowy forest:0.5" });
    const call = calls[0]!;
    expect(call.contextShape[0]).toBe(3);
    const pooled = rows(call.added!.textEmbeds, call.added!.textEmbeds.length / 3);
    expect(new Set(pooled.map((row) => row.join())).size).toBe(3);
    expect(new Set(rows(call.added!.timeIds, 6).map((row) => row.join()))).toEqual(new Set(["256,256,0,0,256,256"]));
  });

  it("gives hires fix's second pass the upscaled size as original and target size (A1111 hr_upscale_to_x/y)", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    const out = await generate({ ...base, width: 128, height: 96, enable_hr: true, hr_scale: 2, hr_second_pass_steps: 2, denoising_strength: 0.5 });
    expect(await pixelsOf(out.images[0]!)).toMatchObject({ width: 256, height: 192 });
    const sizes = calls.map((call) => rows(call.added!.timeIds, 6)[0]);
    expect(sizes[0]).toEqual([96, 128, 0, 0, 96, 128]);
    expect(sizes.at(-1)).toEqual([192, 256, 0, 0, 192, 256]);
  });

  it("runs img2img with the same conditioning", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    const engine = await tinyA1111("sdxl-optimum");
    const out = await engine.generate(img2imgJob({ ...base, init_images: [await gradientDataUri(256, 256)], denoising_strength: 0.6 }));
    expect(await pixelSpread(out.images[0]!)).toBeGreaterThan(5);
    expect(calls.length).toBeGreaterThan(0);
    expect(rows(calls[0]!.added!.timeIds, 6)[0]).toEqual([256, 256, 0, 0, 256, 256]);
  });

  it("gives the refiner the aesthetic scores (6 for the prompt, 2.5 for the negative) as its fifth time id", async () => {
    const calls = await recordUnetCalls("sdxl-refiner-optimum");
    const out = await generate({ ...base, width: 256, height: 320 }, {}, "sdxl-refiner-optimum");
    expect(await pixelSpread(out.images[0]!)).toBeGreaterThan(5);
    const { facts } = (await tinyEngine("sdxl-refiner-optimum")).loaded.model;
    expect(calls[0]!.contextShape).toEqual([2, 77, facts.sdxl!.encoderWidths[0]]);
    expect(rows(calls[0]!.added!.timeIds, 5)).toEqual([
      [320, 256, 0, 0, 6],
      [320, 256, 0, 0, 2.5],
    ]);
  });

  it("reads the refiner's aesthetic scores from the options", async () => {
    const calls = await recordUnetCalls("sdxl-refiner-optimum");
    await generate(base, { sdxl_refiner_high_aesthetic_score: 7.5, sdxl_refiner_low_aesthetic_score: 1 }, "sdxl-refiner-optimum");
    expect(rows(calls[0]!.added!.timeIds, 5).map((ids) => ids[4])).toEqual([7.5, 1]);
  });
});

describe("refiner (refiner_checkpoint, refiner_switch_at)", () => {
  async function refine(body: Record<string, unknown>, options: Record<string, unknown> = {}) {
    const engine = await tinyEngine("sdxl-optimum");
    const refinerDir = await tinyModelDir("sdxl-refiner-optimum");
    return runA1111Generation(txt2imgJob({ ...base, steps: 10, ...body }, options), engine, {}, { refinerDir, modelDir: engine.loaded.model.facts.dir });
  }

  it("hands over at the switch point and says so in the infotext as A1111 does", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    const out = await refine({ refiner_checkpoint: "sdxl-refiner-optimum", refiner_switch_at: 0.8 });
    const { sigmas } = (await tinyEngine("sdxl-optimum")).loaded;
    // The base model runs while (999 − t(σ))/1000 < 0.8, t the nearest training sigma's index (sd_samplers_common.py).
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.length).toBeLessThan(10);
    expect(completedRatio(sigmas, sigmas.sigmas[999]!)).toBe(0);
    expect(completedRatio(sigmas, sigmas.sigmas[0]!)).toBe(0.999);
    expect(out.info.infotexts[0]).toMatch(/, Model: sdxl-optimum, Refiner: sdxl-refiner-optimum \[[0-9a-f]{10}\], Refiner switch at: 0\.8, Version: /);
    expect(await pixelSpread(out.images[0]!)).toBeGreaterThan(5);
  });

  it("changes the image, deterministically, and earlier switches hand more steps to the refiner", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    const plain = await refine({});
    const plainCalls = calls.length;
    const [a, b] = [await refine({ refiner_checkpoint: "sdxl-refiner-optimum", refiner_switch_at: 0.8 }), await refine({ refiner_checkpoint: "sdxl-refiner-optimum", refiner_switch_at: 0.8 })];
    const at08 = (calls.length - plainCalls) / 2;
    const before = calls.length;
    await refine({ refiner_checkpoint: "sdxl-refiner-optimum", refiner_switch_at: 0.3 });
    const at03 = calls.length - before;
    expect(plainCalls).toBe(10);
    expect(at03).toBeLessThan(at08);
    expect(a.images[0]!.equals(b.images[0]!)).toBe(true);
    expect(a.images[0]!.equals(plain.images[0]!)).toBe(false);
  });

  it("never switches at 1 (the ratio stops at 0.999), and then writes nothing", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    const out = await refine({ refiner_checkpoint: "sdxl-refiner-optimum", refiner_switch_at: 1 });
    expect(calls).toHaveLength(10);
    expect(out.info.infotexts[0]).not.toContain("Refiner");
  });

  it("without refiner_switch_at runs the refiner from the first step", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    const out = await refine({ refiner_checkpoint: "sdxl-refiner-optimum" });
    expect(calls).toHaveLength(0);
    expect(out.info.infotexts[0]).toMatch(/Refiner: sdxl-refiner-optimum \[[0-9a-f]{10}\], Version: /);
  });

  it("switches by model calls with refiner_switch_by_sample_steps: 5 of 10 Euler calls at 0.5 (step / total_steps)", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    const out = await refine({ refiner_checkpoint: "sdxl-refiner-optimum", refiner_switch_at: 0.5 }, { refiner_switch_by_sample_steps: true });
    expect(calls).toHaveLength(5);
    expect(out.info.infotexts[0]).toMatch(/, Refiner switch by sampling steps: True, Refiner: sdxl-refiner-optimum \[[0-9a-f]{10}\], Refiner switch at: 0\.5, /);
    // A1111's apply_refiner records the option on every model call, refiner or not.
    expect((await refine({}, { refiner_switch_by_sample_steps: true })).info.infotexts[0]).toContain(", Refiner switch by sampling steps: True, ");
  });

  it("with hires fix takes the second pass by default, and with \"first pass\" stays on for the second pass", async () => {
    const calls = await recordUnetCalls("sdxl-optimum");
    const hires = { steps: 8, width: 128, height: 128, enable_hr: true, hr_scale: 1.5, hr_second_pass_steps: 4, denoising_strength: 0.5 };
    const refiner = { refiner_checkpoint: "sdxl-refiner-optimum", refiner_switch_at: 0.8 };
    const second = await refine({ ...hires, ...refiner });
    const byDefault = calls.length;
    const first = await refine({ ...hires, ...refiner }, { hires_fix_refiner_pass: "first pass" });
    const firstPassOnly = calls.length - byDefault;
    // Default: the whole first pass (8 calls) and the start of the second (from σ at about t = 500, below 0.8 done).
    expect(byDefault).toBeGreaterThan(8);
    expect(second.info.infotexts[0]).toMatch(/, Refiner: sdxl-refiner-optimum \[[0-9a-f]{10}\], Refiner switch at: 0\.8/);
    expect(second.info.infotexts[0]).not.toContain("Hires refiner");
    // "first pass": part of the first pass only; the refiner keeps the second pass from its first call.
    expect(firstPassOnly).toBeLessThan(8);
    expect(first.info.infotexts[0]).toMatch(/Hires refiner: first pass, Refiner: sdxl-refiner-optimum \[[0-9a-f]{10}\], Refiner switch at: 0\.8/);
  });

  it("is a 422 on a backend that cannot load one", async () => {
    const refused = (await tinyA1111("sdxl-optimum")).generate(txt2imgJob({ ...base, refiner_checkpoint: "sdxl-refiner-optimum" }));
    await expect(refused).rejects.toThrow(/^body\.refiner_checkpoint: refiner models are not available with this inference backend/);
  });
});
