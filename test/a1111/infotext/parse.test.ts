/**
 * Reading an infotext back (A1111 `infotext_utils.parse_generation_parameters`, docs/a1111-semantics.md §4.3). Every parsed
 * value stays a string; the defaults of §4.3's table are added when a key is absent.
 */
import { describe, expect, it } from "vitest";
import { createInfotext } from "../../../lib/a1111/infotext/create.ts";
import { parseGenerationParameters } from "../../../lib/a1111/infotext/parse.ts";
import { pyFloat } from "../../../lib/a1111/infotext/python-format.ts";

describe("parse_generation_parameters", () => {
  it("parses the example in A1111's docstring", () => {
    const text = [
      "girl with an artist's beret, determined, blue eyes, desert scene, computer monitors, heavy makeup, by Alphonse Mucha and Charlie Bowater, ((eyeshadow)), (coquettish), detailed, intricate",
      "Negative prompt: ugly, fat, obese, chubby, (((deformed))), [blurry], bad anatomy, disfigured, poorly drawn face, mutation, mutated, (extra_limb), (ugly), (poorly drawn hands), messy drawing",
      "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b",
    ].join("\n");
    const res = parseGenerationParameters(text);
    expect(res).toMatchObject({
      Prompt: text.split("\n")[0],
      "Negative prompt": text.split("\n")[1]!.slice("Negative prompt: ".length),
      Steps: "20",
      Sampler: "Euler a",
      "CFG scale": "7",
      Seed: "965400086",
      "Size-1": "512",
      "Size-2": "512",
      "Model hash": "45dee52b",
      // The prompt uses emphasis, so the Emphasis default is added (§4.3).
      Emphasis: "Original",
    });
    expect(res).not.toHaveProperty("Size");
  });

  it("JSON-decodes quoted values, escaped quotes included", () => {
    const res = parseGenerationParameters('a cat\nSteps: 20, Lora hashes: "a: 1, b: 2", Note: "say \\"hi\\"", Seed: 1');
    expect(res).toMatchObject({ "Lora hashes": "a: 1, b: 2", Note: 'say "hi"', Seed: "1" });
  });

  it("splits every WxH value into Key-1 and Key-2", () => {
    const res = parseGenerationParameters("x\nSteps: 20, Size: 512x768, Hires resize: 1024x1536, Seed resize from: 64x32");
    expect(res).toMatchObject({
      "Size-1": "512",
      "Size-2": "768",
      "Hires resize-1": "1024",
      "Hires resize-2": "1536",
      "Seed resize from-1": "64",
      "Seed resize from-2": "32",
    });
  });

  it("keeps multi-line prompts and negative prompts", () => {
    const res = parseGenerationParameters("line one\n  line two  \nNegative prompt: neg one\nneg two\nSteps: 20, Sampler: Euler, Seed: 1");
    expect(res.Prompt).toBe("line one\nline two");
    expect(res["Negative prompt"]).toBe("neg one\nneg two");
  });

  it("treats a last line with fewer than 3 parameters as prompt", () => {
    const res = parseGenerationParameters("a cat\nSteps: 20, Seed: 1");
    expect(res.Prompt).toBe("a cat\nSteps: 20, Seed: 1");
    expect(res).not.toHaveProperty("Steps");
  });

  it("reads a parameters-only text (no prompt)", () => {
    expect(parseGenerationParameters("Steps: 20, Sampler: Euler, Seed: 3")).toMatchObject({ Prompt: "", Steps: "20", Seed: "3" });
  });

  it("skips a key with an empty value, as A1111 does (v[0] raises and the entry is dropped)", () => {
    const res = parseGenerationParameters("p\nSteps: 20, Model: , Seed: 1, Sampler: Euler");
    expect(res).toMatchObject({ Steps: "20", Seed: "1", Sampler: "Euler" });
    expect(res).not.toHaveProperty("Model");
  });

  it("adds the defaults for absent keys, and not over present ones", () => {
    const bare = parseGenerationParameters("a cat\nSteps: 20, Sampler: Euler, Seed: 1");
    expect(bare).toMatchObject({ "Clip skip": "1", RNG: "GPU", "Schedule type": "Automatic", "Hires resize-1": 0, "Masked area padding": 32 });
    expect(bare).not.toHaveProperty("Emphasis");
    expect(bare).not.toHaveProperty("Cache FP16 weight for LoRA");
    const set = parseGenerationParameters("a cat\nSteps: 20, Clip skip: 2, RNG: CPU, FP8 weight: Enable for SDXL, Schedule type: Karras");
    expect(set).toMatchObject({ "Clip skip": "2", RNG: "CPU", "Schedule type": "Karras", "Cache FP16 weight for LoRA": false });
  });

  it("reads non-ASCII keys and values (Python's \\w is Unicode)", () => {
    expect(parseGenerationParameters("Kätzchen\nSteps: 20, Größe: groß, Seed: 1")).toMatchObject({ Prompt: "Kätzchen", Größe: "groß" });
  });

  it("round-trips what createInfotext writes", () => {
    const text = createInfotext("a, b: c", "d", [["Steps", 20], ["CFG scale", pyFloat(7)], ["Note", "x, y"], ["Size", "64x48"]]);
    expect(parseGenerationParameters(text)).toMatchObject({ Prompt: "a, b: c", "Negative prompt": "d", Steps: "20", "CFG scale": "7.0", Note: "x, y", "Size-1": "64" });
  });
});
