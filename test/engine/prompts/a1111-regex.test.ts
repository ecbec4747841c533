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

/**
 * Linear time without a wall-clock threshold, which a loaded CI machine breaks: the CPU time of this process
 * (`process.cpuUsage`, which does not count time spent waiting for a core) for TEXT_LENGTH characters, the fastest
 * of up to three runs on freshly built texts (V8 caches some results per string), must stay under CPU_BUDGET_MS.
 * A linear parse takes a few hundred milliseconds at most there, even with coverage instrumentation; a quadratic
 * one takes minutes (A1111's regexes: 1.5 s at 20,000 characters, 22 s at 160,000). Comparing the times of n and
 * 8n characters instead does not work: V8 changes regime between 12,500 and 200,000 characters (split caches, the
 * young generation, the large-object space), so a linear parse's time per character jumps up to tenfold there.
 */
const TEXT_LENGTH = 400_000;
const CPU_BUDGET_MS = 4_000;

function cpuMs(work: () => unknown): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function expectLinear(work: (text: string) => unknown, textOfLength: (n: number) => string) {
  work(textOfLength(TEXT_LENGTH / 8)); // JIT compilation is not measured
  const times: number[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const text = textOfLength(TEXT_LENGTH);
    times.push(cpuMs(() => work(text)));
    if (times.at(-1)! < CPU_BUDGET_MS) return;
  }
  expect.fail(`not linear: ${times.map((t) => t.toFixed(0)).join(", ")} ms of CPU for ${TEXT_LENGTH} characters`);
}

const fill = (unit: string) => (n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
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
