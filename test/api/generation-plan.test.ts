/**
 * What a request resolves to before any model runs (lib/a1111/generation): seeds, sizes, eta, the infotext of each image
 * (docs/a1111-semantics.md §4.1) and the `info` object (§2.4), shared by the CI fake and the engine.
 */
import { describe, expect, it } from "vitest";
import { generationInfo, infoJsonString } from "../../lib/a1111/generation/info.ts";
import { imageInfotext, SERENA_VERSION } from "../../lib/a1111/generation/infotext.ts";
import { pyFloat } from "../../lib/a1111/infotext/python-format.ts";
import { jobTimestamp, planRequest } from "../../lib/a1111/generation/plan.ts";
import type { GenerationJob } from "../../lib/a1111/backend.ts";
import { Img2ImgRequest, Txt2ImgRequest } from "../../lib/a1111/schemas/generation.ts";
import { Options } from "../../lib/a1111/schemas/options.ts";

const SD15 = { name: "v1-5-pruned-emaonly", hash: "6ce0161689" };
const txt2img = (body: object, options: object = {}): GenerationJob => ({
  type: "txt2img",
  request: Txt2ImgRequest.parse(body),
  options: Options.parse(options),
});
const img2img = (body: object): GenerationJob => ({
  type: "img2img",
  request: Img2ImgRequest.parse({ init_images: ["x"], ...body }),
  options: Options.parse({}),
});

describe("the infotext (§4.1)", () => {
  it("of a bare API call {prompt: 'a cat', seed: 1234} on SD 1.5 is §4.1's example", () => {
    const plan = planRequest(txt2img({ prompt: "a cat", seed: 1234 }));
    expect(imageInfotext(plan, 0, SD15, {})).toBe(
      `a cat\nSteps: 50, Sampler: Euler, Schedule type: Automatic, CFG scale: 7.0, Seed: 1234, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: ${SERENA_VERSION}`,
    );
  });

  it("puts img2img's denoising strength, variation seed and clip skip in A1111's order", () => {
    const job = img2img({ prompt: "p", negative_prompt: "n", seed: 5, subseed: 9, subseed_strength: 0.25, seed_resize_from_w: 256, seed_resize_from_h: 192, width: 64, height: 64 });
    job.options.CLIP_stop_at_last_layers = 2;
    const text = imageInfotext(planRequest(job), 0, SD15, {});
    expect(text).toBe(
      "p\nNegative prompt: n\nSteps: 50, Sampler: Euler, Schedule type: Automatic, CFG scale: 7.0, Seed: 5, Size: 64x64, Model hash: 6ce0161689, " +
        `Model: v1-5-pruned-emaonly, Variation seed: 9, Variation seed strength: 0.25, Seed resize from: 256x192, Denoising strength: 0.75, Clip skip: 2, Version: ${SERENA_VERSION}`,
    );
  });

  it("writes ENSD only for samplers that use it with a non-zero eta (§6.5)", () => {
    const ensd = { eta_noise_seed_delta: 31337 };
    expect(imageInfotext(planRequest(txt2img({ seed: 1, sampler_name: "Euler a" }, ensd)), 0, SD15, {})).toContain("ENSD: 31337");
    expect(imageInfotext(planRequest(txt2img({ seed: 1, sampler_name: "Euler" }, ensd)), 0, SD15, {})).not.toContain("ENSD");
    expect(imageInfotext(planRequest(txt2img({ seed: 1, sampler_name: "Euler a", eta: 0 }, ensd)), 0, SD15, {})).not.toContain("ENSD");
  });

  it("leaves out model hash, model name and version when the options say so", () => {
    const plan = planRequest(txt2img({ seed: 1 }, { add_model_hash_to_info: false, add_model_name_to_info: false, add_version_to_infotext: false }));
    expect(imageInfotext(plan, 0, SD15, {})).toBe("Steps: 50, Sampler: Euler, Schedule type: Automatic, CFG scale: 7.0, Seed: 1, Size: 512x512");
  });

  it("extra entries follow in insertion order; one that exists already keeps its place and takes the new value (item 27)", () => {
    const plan = planRequest(txt2img({ seed: 1, override_settings: { randn_source: "CPU" } }, { randn_source: "CPU" }));
    const text = imageInfotext(plan, 0, SD15, { Eta: 0.5, Seed: 99, "Lora hashes": "a: 1, b: 2" });
    expect(text).toContain("Seed: 99, Size: 512x512");
    expect(text).toContain(`RNG: CPU, Eta: 0.5, Lora hashes: "a: 1, b: 2", Version: ${SERENA_VERSION}`);
  });
});

describe("planRequest", () => {
  it("gives batch_size × n_iter seeds and prompts", () => {
    const plan = planRequest(txt2img({ prompt: "a", negative_prompt: "b", seed: 10, subseed: 20, batch_size: 2, n_iter: 3 }));
    expect(plan.seeds).toEqual([10, 11, 12, 13, 14, 15]);
    expect(plan.subseeds).toEqual([20, 21, 22, 23, 24, 25]);
    expect(plan.prompts).toEqual(Array(6).fill("a"));
    expect(plan.negativePrompts).toEqual(Array(6).fill("b"));
    expect([plan.batchSize, plan.nIter, plan.imageCount]).toEqual([2, 3, 6]);
  });

  it("draws -1 seeds with the given source", () => {
    const draws = [111, 222];
    const plan = planRequest(txt2img({ seed: -1, subseed: -1 }), { drawSeed: () => draws.shift()! });
    expect([plan.seed, plan.subseed]).toEqual([111, 222]);
  });

  it("outputs the multiple of 8 below the requested size (the latent is width//8)", () => {
    const plan = planRequest(txt2img({ width: 100, height: 71 }));
    expect([plan.outputWidth, plan.outputHeight]).toEqual([96, 64]);
  });

  it("defaults eta to eta_ancestral for k-diffusion samplers and eta_ddim for DDIM (§2.2 field 21)", () => {
    expect(planRequest(txt2img({ sampler_name: "Euler a" })).eta).toBe(1);
    expect(planRequest(txt2img({ sampler_name: "DDIM" })).eta).toBe(0);
    expect(planRequest(txt2img({ sampler_name: "Euler a", eta: 0.3 })).eta).toBe(0.3);
  });

  it("formats the job timestamp as %Y%m%d%H%M%S in UTC", () => {
    expect(jobTimestamp(new Date(Date.UTC(2024, 6, 3, 9, 5, 7)))).toBe("20240703090507");
    expect(planRequest(txt2img({}), { now: new Date(0) }).jobTimestamp).toBe("19700101000000");
  });
});

describe("info (§2.4)", () => {
  it("prints floats as Python floats and keeps the request's width and height", () => {
    const plan = planRequest(txt2img({ prompt: "a", seed: 3, width: 100, height: 70, cfg_scale: 7 }), { now: new Date(0) });
    const info = generationInfo(plan, SD15, ["t"], { "Extra float": pyFloat(0.5), Plain: "x" });
    const text = infoJsonString(info);
    expect(text).toContain('"subseed_strength": 0.0, "width": 100, "height": 70, "sampler_name": "Euler", "cfg_scale": 7.0, "steps": 50');
    expect(text).toContain('"denoising_strength": null, "extra_generation_params": {"Extra float": 0.5, "Plain": "x"}');
    expect(info).toMatchObject({ sd_model_name: "v1-5-pruned-emaonly", sd_model_hash: "6ce0161689", index_of_first_image: 0, job_timestamp: "19700101000000" });
  });

  it("has img2img's denoising strength", () => {
    const info = generationInfo(planRequest(img2img({ denoising_strength: 0.5 })), SD15, [], {});
    expect(infoJsonString(info)).toContain('"denoising_strength": 0.5,');
  });
});
