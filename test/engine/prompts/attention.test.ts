import { describe, expect, it } from "vitest";
import type { AttentionPiece } from "../../../lib/engine/prompts/attention.ts";
import { invalidAttentionWeight, InvalidAttentionWeightError, parsePromptAttention } from "../../../lib/engine/prompts/attention.ts";

/** Same texts in the same order, weights equal to 12 digits. */
function expectPieces(actual: AttentionPiece[], expected: AttentionPiece[]): void {
  expect(actual.map(([text]) => text)).toEqual(expected.map(([text]) => text));
  actual.forEach(([, weight], i) => expect(weight).toBeCloseTo(expected[i][1], 12));
}

// Reference values: docs/a1111-semantics.md §7.2 (doctests of A1111 modules/prompt_parser.py `parse_prompt_attention`,
// v1.10.1, and rows re-run against it), unless a comment names another source.
describe("plain text and emphasis groups", () => {
  it("gives plain text weight 1", () => {
    expectPieces(parsePromptAttention("normal text"), [["normal text", 1.0]]);
    expectPieces(parsePromptAttention("a:1.2"), [["a:1.2", 1.0]]);
  });

  it("multiplies (…) by 1.1 and […] by 1/1.1, across nesting", () => {
    expectPieces(parsePromptAttention("an (important) word"), [
      ["an ", 1.0],
      ["important", 1.1],
      [" word", 1.0],
    ]);
    expectPieces(parsePromptAttention("[[a]]"), [["a", 0.8264462809917354]]);
  });

  it("uses an explicit weight (x:w) instead of 1.1", () => {
    expectPieces(parsePromptAttention("a (b:1.5) c"), [
      ["a ", 1.0],
      ["b", 1.5],
      [" c", 1.0],
    ]);
    expectPieces(parsePromptAttention("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky)))."), [
      ["a ", 1.0],
      ["house", 1.573],
      [" ", 1.1],
      ["on", 1.0],
      [" a ", 1.1],
      ["hill", 0.55],
      [", sun, ", 1.1],
      ["sky", 1.4641],
      [".", 1.1],
    ]);
  });

  it("takes only the last :w) as the weight", () => {
    expectPieces(parsePromptAttention("(a:1.2:3)"), [["a:1.2", 3.0]]);
  });

  it("allows whitespace and a sign around the weight", () => {
    // A1111 re_attention `:\s*([+-]?[.\d]+)\s*\)` (v1.10.1).
    expectPieces(parsePromptAttention("(a: 1.5 )"), [["a", 1.5]]);
    expectPieces(parsePromptAttention("(a:-1)"), [["a", -1]]);
  });

  it("fails on a weight Python cannot read, as A1111 does", () => {
    // float('.') raises ValueError in A1111, which fails the request.
    expect(() => parsePromptAttention("(a:.)")).toThrow(InvalidAttentionWeightError);
    for (const weight of ["..", "1.2.3", "+.", "-.."]) {
      expect(() => parsePromptAttention(`(a:${weight})`)).toThrow(`could not convert string to float: '${weight}'`);
      expect(invalidAttentionWeight(`x (a:${weight}) y`)).toBe(weight);
    }
  });

  it("reads a weight in any decimal digits and Python's whitespace around it, as Python's re and float() do", () => {
    // `[.\d]` is Unicode-aware in Python: float("٣") is 3.0; \x1c is whitespace for `\s`.
    expectPieces(parsePromptAttention("(a:٣)"), [["a", 3]]);
    expectPieces(parsePromptAttention("(a:\x1c1.5\x1c)"), [["a", 1.5]]);
    // U+FEFF is not Python whitespace: the group is closed by ")" alone, ×1.1, and the colon stays text.
    expectPieces(parsePromptAttention("(a:\ufeff2)"), [["a:\ufeff2", 1.1]]);
  });

  it("reads a weight only while a round group is open: `a:.)` alone is text, and not an error", () => {
    expectPieces(parsePromptAttention("a:.)"), [["a:.)", 1]]);
    expect(invalidAttentionWeight("a:.) [b:.)]")).toBeNull();
  });
});

describe("unbalanced brackets and escapes", () => {
  it("closes unmatched openers at the end", () => {
    expectPieces(parsePromptAttention("(unbalanced"), [["unbalanced", 1.1]]);
  });

  it("keeps unmatched closers as text", () => {
    expectPieces(parsePromptAttention("a) b]"), [["a) b]", 1.0]]);
  });

  it("reads escaped brackets literally", () => {
    expectPieces(parsePromptAttention("\\(literal\\]"), [["(literal]", 1.0]]);
  });

  it("drops a lone backslash", () => {
    // re_attention: a `\` before any other character is a token of its own whose text after the backslash is "".
    expectPieces(parsePromptAttention("a\\b"), [["ab", 1.0]]);
  });
});

describe("merging and empty results", () => {
  it("merges neighbours of equal weight", () => {
    // Source doctest of parse_prompt_attention.
    expectPieces(parsePromptAttention("(unnecessary)(parens)"), [["unnecessaryparens", 1.1]]);
  });

  it('gives [["", 1]] for an empty prompt or empty groups', () => {
    expectPieces(parsePromptAttention(""), [["", 1.0]]);
    expectPieces(parsePromptAttention("()[]"), [["", 1.0]]);
  });
});

describe("BREAK", () => {
  it("inserts a weight −1 marker and eats the whitespace around it", () => {
    expectPieces(parsePromptAttention("a BREAK b"), [
      ["a", 1.0],
      ["BREAK", -1],
      ["b", 1.0],
    ]);
  });

  it("multiplies a marker inside a group like any piece", () => {
    expectPieces(parsePromptAttention("(cat BREAK dog)"), [
      ["cat", 1.1],
      ["BREAK", -1.1],
      ["dog", 1.1],
    ]);
  });

  it("needs BREAK as a whole word", () => {
    // re_break `\s*\bBREAK\b\s*`.
    expectPieces(parsePromptAttention("BREAKFAST aBREAK"), [["BREAKFAST aBREAK", 1.0]]);
  });

  it("counts Unicode letters as word characters, as Python's \\b does", () => {
    expectPieces(parsePromptAttention("caféBREAK x"), [["caféBREAK x", 1.0]]);
    expectPieces(parsePromptAttention("café BREAK x"), [
      ["café", 1.0],
      ["BREAK", -1],
      ["x", 1.0],
    ]);
  });
});
