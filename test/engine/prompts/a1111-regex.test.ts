/**
 * The hand-written scanners against Python's `re` on A1111's own patterns (a1111-regex.vectors.json; its `source`
 * says how they were made): random strings mixing brackets, weights with Unicode digits, BREAK, AND, Python-only
 * whitespace (\x1c, \x85) and U+FEFF, which Python's `\s` does not match. Then the same scanners on 400,000-character
 * inputs shaped to make the regexes backtrack: each is linear here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { invalidAttentionWeight, InvalidAttentionWeightError, parsePromptAttention } from "../../../lib/engine/prompts/attention.ts";
import { splitComposablePrompt } from "../../../lib/engine/prompts/composable.ts";
import { parseExtraNetworks } from "../../../lib/engine/prompts/extra-networks.ts";
import { expectLinear, fill } from "../../support/linear-time.ts";

interface Vectors {
  attention: Array<[string, Array<[string, number]> | "ValueError"]>;
  composable: Array<[string, Array<[string, number]>]>;
  extraNetworks: Array<[string, [string, Array<[string, string]>]]>;
}

const vectors = JSON.parse(readFileSync(new URL("./a1111-regex.vectors.json", import.meta.url), "utf8")) as Vectors;

function attentionOrError(text: string) {
  try {
    return parsePromptAttention(text);
  } catch (error) {
    if (error instanceof InvalidAttentionWeightError) return "ValueError";
    throw error;
  }
}

describe("parse_prompt_attention (re_attention, re_break, float())", () => {
  it.each(vectors.attention)("%j", (text, expected) => {
    // Exact doubles: the weights are multiplied in A1111's order.
    expect(attentionOrError(text)).toEqual(expected);
    expect(invalidAttentionWeight(text) !== null).toBe(expected === "ValueError");
  });
});

describe("get_multicond_prompt_list's AND split and re_weight", () => {
  it.each(vectors.composable)("%j", (prompt, expected) => {
    expect(splitComposablePrompt(prompt).map((p) => [p.text, p.weight])).toEqual(expected);
  });
});

describe("extra_networks.parse_prompt (re.sub with re_extra_net)", () => {
  it.each(vectors.extraNetworks)("%j", (prompt, [cleaned, tags]) => {
    const result = parseExtraNetworks(prompt);
    expect(result.prompt).toBe(cleaned);
    expect(result.tags.map((t) => [t.name, t.items.join(":")])).toEqual(tags);
  });
});

const whitespaceRun = (n: number) => `a${" ".repeat(n)}b`;

describe("linear time on texts shaped against the regexes (400,000 characters within a CPU-time budget)", () => {
  it.each([
    // `\s*\bBREAK\b\s*` retries its leading `\s*` from every position of a whitespace run.
    ["a whitespace run", whitespaceRun],
    ["whitespace runs between words", fill("a \t\x1c ")],
    ["BREAKs", fill(" BREAK")],
    // `:\s*([+-]?[.\d]+)\s*\)` retries after each colon.
    ["colons before digits", fill(":1.1.1 ")],
    ["colons, spaces and digits", fill(": 1 : .")],
  ])("parse_prompt_attention: %s", (_what, textOfLength) => {
    expectLinear(parsePromptAttention, textOfLength);
    expectLinear(invalidAttentionWeight, textOfLength);
  });

  it.each([
    // (a(a(a…))): every closer multiplies every piece after its opener.
    ["nested groups", (n: number) => `${"(a".repeat(Math.floor(n / 3))}${")".repeat(Math.floor(n / 3))}`],
    // Unclosed openers multiply everything after them at the end.
    ["unclosed weights", fill("(a:  1  ")],
  ])("invalidAttentionWeight stays linear where the weights take A1111 quadratic work: %s", (_what, textOfLength) => {
    expectLinear(invalidAttentionWeight, textOfLength);
  });

  it.each([
    // re_weight's lazy `(?:\s|.)*?` tries `\s*$` from every position of a whitespace run.
    ["a whitespace run", whitespaceRun],
    ["whitespace and colons", fill(" : ")],
    ["ANDs", fill("a AND ")],
  ])("get_multicond_prompt_list: %s", (_what, textOfLength) => {
    expectLinear(splitComposablePrompt, textOfLength);
  });

  it.each([
    // `<(\w+):([^>]+)>` runs `[^>]+` to the end from every "<" when no ">" follows.
    ["openers without closers", fill("<a:")],
    ["long names", fill(`<${"a".repeat(1000)}:`)],
  ])("extra_networks.parse_prompt: %s", (_what, textOfLength) => {
    expectLinear(parseExtraNetworks, textOfLength);
  });
});

describe("parse_prompt_attention's bounded mode", () => {
  it("stops after maxWeightUpdates multiplications", () => {
    const nested = `${"(a".repeat(2000)}${")".repeat(2000)}`;
    expect(() => parsePromptAttention(nested, { maxWeightUpdates: 10_000 })).toThrow(/more than 10000 weight updates/);
    // The same text without a bound: 2000 pieces, the innermost ×1.1 2000 times.
    const pieces = parsePromptAttention(nested);
    expect(pieces).toHaveLength(2000);
    expect(pieces[0]).toEqual(["a", 1.1]);
  });
});
