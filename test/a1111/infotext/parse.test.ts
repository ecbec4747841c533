/**
 * Reading an infotext back (A1111 `infotext_utils.parse_generation_parameters`, docs/a1111-semantics.md §4.3). Every parsed
 * value stays a string; the defaults of §4.3's table are added when a key is absent.
 */
import { describe, expect, it } from "vitest";
import { createInfotext } from "../../../lib/a1111/infotext/create.ts";
import { parseGenerationParameters } from "../../../lib/a1111/infotext/parse.ts";
import { pyFloat } from "../../../lib/a1111/infotext/python-format.ts";
import { expectLinear, fill } from "../../support/linear-time.ts";

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

// Expected values from A1111 v1.10.1's parse_generation_parameters re-run on Python 3.11.2 with default options.
describe("what the scanner must match beyond the parameter line", () => {
  it("strips with Python's whitespace (\\x1c and \\x85 are whitespace there)", () => {
    const res = parseGenerationParameters("\x1c a cat \x1c\n\x85Negative prompt: \x1cneg\x1c\nSteps: 1, Seed: 2, Size: 8x8");
    expect(res).toMatchObject({ Prompt: "a cat", "Negative prompt": "neg", "Size-1": "8" });
  });

  it("splits sizes in any decimal digits, and before a final newline (re_imagesize's \\d and $)", () => {
    expect(parseGenerationParameters("a\nSteps: 20, Size: ５１２x６４, Seed: 1")).toMatchObject({ "Size-1": "５１２", "Size-2": "６４" });
    expect(parseGenerationParameters('a\nSteps: 20, Size: "64x32\\n", Seed: 1')).toMatchObject({ "Size-1": "64", "Size-2": "32" });
  });

  it("appends a Hypernet tag to the prompt", () => {
    expect(parseGenerationParameters("a cat\nSteps: 20, Hypernet: hn, Hypernet strength: 0.5").Prompt).toBe("a cat<hypernet:hn:0.5>");
    expect(parseGenerationParameters("a cat\nSteps: 20, Hypernet: hn, Seed: 1").Prompt).toBe("a cat<hypernet:hn:1.0>");
  });

  it("restores old hires fix sizes from First pass size (restore_old_hires_fix_params)", () => {
    expect(parseGenerationParameters("a\nSteps: 20, Size: 640x384, First pass size: 320x192")).toMatchObject({
      "Size-1": 320,
      "Size-2": 192,
      "Hires resize-1": 640,
      "Hires resize-2": 384,
    });
    // 0x0 meant "about 512² pixels": old_hires_fix_first_pass_dimensions(768, 512) is (640, 448).
    expect(parseGenerationParameters("a\nSteps: 20, Size: 768x512, First pass size: 0x0")).toMatchObject({ "Size-1": 640, "Size-2": 448, "Hires resize-1": 768 });
    expect(parseGenerationParameters("a\nSteps: 20, First pass size: 256x128, Seed: 1")).toMatchObject({ "Size-1": 256, "Hires resize-1": 512 });
  });

  it("takes __proto__ as an ordinary key", () => {
    const res = parseGenerationParameters("a\nSteps: 20, __proto__: x, Seed: 1");
    expect(Object.getOwnPropertyDescriptor(res, "__proto__")?.value).toBe("x");
    expect(Object.getPrototypeOf(res)).toBe(Object.prototype);
  });

  it("does not count a weighted piece whose merged text is BREAK as emphasis (A1111 compares the text)", () => {
    expect(parseGenerationParameters("(BRE\\AK)\nSteps: 1, Seed: 2, Size: 8x8")).not.toHaveProperty("Emphasis");
  });
});

describe("prompts A1111's own parse fails on", () => {
  it("leaves Emphasis out for a weight float() rejects, where A1111's png-info answers 500", () => {
    const res = parseGenerationParameters("(a:.)\nSteps: 20, Seed: 1, Size: 64x64");
    expect(res).toMatchObject({ Prompt: "(a:.)", Steps: "20" });
    expect(res).not.toHaveProperty("Emphasis");
  });

  it("takes a prompt too costly to weigh (LIMITS.maxInfotextAttentionUpdates) to use emphasis", () => {
    const nested = `${"(a".repeat(5000)}${")".repeat(5000)}`;
    expect(parseGenerationParameters(`${nested}\nSteps: 1, Seed: 2, Size: 8x8`)).toMatchObject({ Emphasis: "Original" });
  });
});

const withParameters = (prompt: (n: number) => string) => (n: number) => `${prompt(n)}\nSteps: 1, Seed: 2, Size: 8x8`;

describe("infotexts of the worst shapes take linear time (400,000 characters within a CPU-time budget)", () => {
  it.each([
    ["one run of key characters (the 8,000,000 × 'a' png-info report, scaled)", fill("a")],
    ["key characters and spaces", fill("a b ")],
    ["a parameter line of unclosed quotes", (n: number) => `x\nSteps: 1, Seed: 2, K: "${fill("\\x")(n)}`],
    ["a parameter line of many keys", fill("Key: value, ")],
    ["many lines", fill("Negative prompt: a\n")],
    ["whitespace runs in the prompt (re_break's \\s*)", withParameters((n) => `a${" ".repeat(n)}b`)],
    ["nested attention groups", withParameters(fill("(a"))],
    ["closed nested groups", withParameters((n) => `${"(a".repeat(Math.floor(n / 3))}${")".repeat(Math.floor(n / 3))}`)],
    ["square groups and weights", fill("[a (b:1.1) ")],
  ])("%s", (_what, textOfLength) => {
    expectLinear(parseGenerationParameters, textOfLength);
  });
});
