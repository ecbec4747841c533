/**
 * promptConditioningError: the prompts A1111 v1.10.1 fails on while building the conditioning (a 500 there), found
 * on the texts the engine would encode. Reference behaviour: modules/prompt_parser.py (`parse_prompt_attention`
 * calls float() on `[+-]?[.\d]+`; `collect_steps` calls int() on the step), modules/extra_networks.py, and
 * `get_multicond_prompt_list` (AND).
 */
import { describe, expect, it } from "vitest";
import { promptConditioningError } from "../../../lib/engine/prompts/check.ts";

const positive = (prompt: string, steps = 20, hiresSteps?: number) =>
  promptConditioningError(prompt, { positive: true, attention: true, steps, hiresSteps });

describe("weights float() rejects", () => {
  it("reports `(a:.)` with A1111's ValueError message", () => {
    expect(positive("a cat, (b:.)")).toBe(`attention weight '.' is not a number: A1111 fails with "could not convert string to float: '.'"`);
  });

  it("accepts every weight float() reads, in any decimal digits", () => {
    for (const prompt of ["(a:1.)", "(a:.5)", "(a:-1)", "(a:٣)", "(a: 1.5 )", "a:.", "(a:.", "\\(a:.)"]) expect(positive(prompt), prompt).toBeNull();
  });

  it("checks each text prompt editing makes, and only those", () => {
    // Step 1 encodes "(x:1)", step 2 "(x:.)": A1111 fails at step 2.
    expect(positive("(x:[1|.])")).toMatch(/'\.'/);
    // Always "b": the "(a:.)" before the switch at step 0 is never encoded.
    expect(positive("[(a:.):b:0]")).toBeNull();
    expect(positive("[(a:.):b:5]")).toMatch(/'\.'/);
  });

  it("checks each AND part and ignores extra-network tags, as the engine sees the prompt", () => {
    expect(positive("a AND (b:..)")).toMatch(/'\.\.'/);
    expect(positive("a <lora:(b:.):1> c")).toBeNull();
    // Negative prompts are neither split nor stripped of tags (A1111 parses extra networks in positive prompts only).
    expect(promptConditioningError("a <lora:(b:.):1>", { positive: false, attention: true, steps: 20 })).toMatch(/'\.'/);
  });

  it("reads no weights under the None emphasis mode, which encodes the text as it is", () => {
    expect(promptConditioningError("(a:.)", { positive: true, attention: false, steps: 20 })).toBeNull();
  });
});

describe("prompt-editing steps int() cannot take", () => {
  it("reports a step that overflows, whatever the emphasis mode", () => {
    expect(promptConditioningError("[a:b:1e400]", { positive: true, attention: false, steps: 20 })).toMatch(/step 1e400 is out of range/);
  });

  it("depends on the pass: a fraction that overflows only on the hires pass's arithmetic", () => {
    // First pass: (v − 0)·20; hires pass: (v − 1)·40. 8.9e306·20 is finite, 8.9e306·40 is not.
    expect(positive("[a:b:8.9e306]", 20)).toBeNull();
    expect(positive("[a:b:8.9e306]", 20, 40)).toMatch(/out of range/);
  });
});
