import { describe, expect, it } from "vitest";
import { splitComposablePrompt } from "../../../lib/engine/prompts/composable.ts";

// docs/a1111-semantics.md §7 step 3 (A1111 modules/prompt_parser.py `get_multicond_prompt_list`, `re_AND`, `re_weight`).
describe("splitComposablePrompt", () => {
  it("splits on AND and reads a trailing :weight", () => {
    expect(splitComposablePrompt("a cat :1.2 AND a dog")).toEqual([
      { text: "a cat", weight: 1.2 },
      { text: " a dog", weight: 1 },
    ]);
  });

  it("keeps a prompt without AND whole, weight 1", () => {
    expect(splitComposablePrompt("a photo of a cat")).toEqual([{ text: "a photo of a cat", weight: 1 }]);
  });

  it("splits only on the whole word AND", () => {
    expect(splitComposablePrompt("ANDROID and BRANDY")).toEqual([{ text: "ANDROID and BRANDY", weight: 1 }]);
    // Python's \b is Unicode-aware: 猫 is a word character.
    expect(splitComposablePrompt("猫AND犬")).toEqual([{ text: "猫AND犬", weight: 1 }]);
    expect(splitComposablePrompt("猫 AND 犬")).toEqual([
      { text: "猫", weight: 1 },
      { text: " 犬", weight: 1 },
    ]);
  });

  it("reads signed and fractional weights", () => {
    expect(splitComposablePrompt("a:-0.5 AND b: .25 AND c:+2")).toEqual([
      { text: "a", weight: -0.5 },
      { text: " b", weight: 0.25 },
      { text: " c", weight: 2 },
    ]);
  });

  it("leaves a colon that is not followed by a number in the text", () => {
    expect(splitComposablePrompt("a (b:1.1) c:d")).toEqual([{ text: "a (b:1.1) c:d", weight: 1 }]);
  });
});
