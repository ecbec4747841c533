/** Writing an infotext (A1111 `processing.create_infotext`, docs/a1111-semantics.md §4.1). */
import { describe, expect, it } from "vitest";
import { createInfotext, quoteInfotextValue } from "../../../lib/a1111/infotext/create.ts";
import { pyFloat } from "../../../lib/a1111/infotext/python-format.ts";

describe("quote()", () => {
  it("JSON-quotes values holding ',', ':' or a newline, keeping non-ASCII (ensure_ascii=False)", () => {
    expect(quoteInfotextValue("a, b")).toBe('"a, b"');
    expect(quoteInfotextValue("Kätzchen: 1")).toBe('"Kätzchen: 1"');
    expect(quoteInfotextValue("line\nbreak")).toBe('"line\\nbreak"');
    expect(quoteInfotextValue('say "hi", ok')).toBe('"say \\"hi\\", ok"');
  });

  it("leaves other values alone", () => {
    expect(quoteInfotextValue("DPM++ 2M")).toBe("DPM++ 2M");
    expect(quoteInfotextValue('say "hi"')).toBe('say "hi"');
  });
});

describe("createInfotext", () => {
  it("writes §4.1's example for a bare API call", () => {
    const text = createInfotext("a cat", "", [
      ["Steps", 50],
      ["Sampler", "Euler"],
      ["Schedule type", "Automatic"],
      ["CFG scale", pyFloat(7)],
      ["Seed", 1234],
      ["Size", "512x512"],
      ["Model hash", "6ce0161689"],
      ["Model", "v1-5-pruned-emaonly"],
      ["Version", "v1.10.1"],
    ]);
    expect(text).toBe(
      "a cat\nSteps: 50, Sampler: Euler, Schedule type: Automatic, CFG scale: 7.0, Seed: 1234, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1",
    );
  });

  it("adds the negative prompt line only when there is one", () => {
    expect(createInfotext("a", "b", [["Steps", 1]])).toBe("a\nNegative prompt: b\nSteps: 1");
    expect(createInfotext("a", "", [["Steps", 1]])).toBe("a\nSteps: 1");
  });

  it("leaves out None entries, writes only the key when key == value, and quotes values", () => {
    expect(createInfotext("p", "", [["Steps", 20], ["Face restoration", null], ["Tiling", undefined], ["Refiner", "Refiner"], ["Lora hashes", "a: 1, b: 2"]])).toBe(
      'p\nSteps: 20, Refiner, Lora hashes: "a: 1, b: 2"',
    );
  });

  it("strips the whole text: an empty prompt leaves no leading newline, no entries no trailing one", () => {
    expect(createInfotext("", "", [["Steps", 20]])).toBe("Steps: 20");
    expect(createInfotext("  a cat ", "", [])).toBe("a cat");
  });

  it("writes multi-line prompts as they are", () => {
    expect(createInfotext("line 1\nline 2", "neg 1\nneg 2", [["Seed", 1]])).toBe("line 1\nline 2\nNegative prompt: neg 1\nneg 2\nSeed: 1");
  });
});
