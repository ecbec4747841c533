/**
 * findParams: A1111's `re_param.findall(line)` (modules/infotext_utils.py, v1.10.1) as a linear scan. Checked
 * against Python's `re` (param-line.vectors.json; its `source` says how they were made: random lines mixing key
 * characters, colons, commas, quotes, backslashes, Python-only whitespace and full-width digits), then on
 * 100,000-character lines shaped to make the regex backtrack.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { findParams } from "../../../lib/a1111/infotext/param-line.ts";
import { bestTimeMs } from "../../support/best-time.ts";

const vectors = JSON.parse(readFileSync(new URL("./param-line.vectors.json", import.meta.url), "utf8")) as { params: Array<[string, Array<[string, string]>]> };

describe("re_param.findall", () => {
  it.each(vectors.params)("%j", (line, expected) => {
    expect(findParams(line)).toEqual(expected);
  });

  it.each([
    // Hand-checked against Python 3.11.2's re.findall.
    ["Steps: 20, Sampler: Euler a, CFG scale: 7", [["Steps", "20"], ["Sampler", "Euler a"], ["CFG scale", "7"]]],
    ['Note: "a, b", XY: 1', [["Note", '"a, b"'], ["XY", "1"]]],
    // The closing quote must be followed by "," or the end; otherwise the value runs to the next comma.
    ['Note: "a"b, XY: 1', [["Note", '"a"b'], ["XY", "1"]]],
    // An escaped quote does not close; a backslash escapes any character.
    ['QQ: "x\\"y", RR: 2', [["QQ", '"x\\"y"'], ["RR", "2"]]],
    // A one-character key is not a key (\w[\w \-/]+ needs two), so matching resumes one character later.
    ["a: 1, bb: 2", [["bb", "2"]]],
    ['Q: "x", RR: 2', [["RR", "2"]]],
    // Keys may hold spaces, "-" and "/"; Python's \w is Unicode.
    ["Größe/Maß-x y: 1", [["Größe/Maß-x y", "1"]]],
    // `$` also matches before a final newline.
    ['KK: "v"\n', [["KK", '"v"']]],
    // …but not before two: the quoted alternative fails and `[^,]*` takes the rest.
    ['KK: "v"\n\n', [["KK", '"v"\n\n']]],
    ["", []],
  ] as Array<[string, Array<[string, string]>]>)("%j", (line, expected) => {
    expect(findParams(line)).toEqual(expected);
  });
});

const N = 100_000;
const fill = (unit: string) => unit.repeat(Math.ceil(N / unit.length)).slice(0, N);

describe("linear time on 100,000-character lines", () => {
  it.each([
    // Every start position rescans the key run and finds no colon: 20,000 × "a" takes 1.5 s with the regex.
    ["key characters without a colon", "a".repeat(N)],
    ["key characters and spaces", fill("a b-c/d ")],
    ["whitespace", fill(" \t\x1c")],
    ["a key and an unclosed quote", `k: "${fill("\\x")}`],
    ["escaped quotes", `k: "${fill('\\"')}`],
    ["quoted values that do not close before a comma", fill('kk: "a"b,')],
    ["keys and colons", fill("ab:")],
  ])("%s", (_what, line) => {
    // A linear scan takes a few milliseconds here; the regex it replaced took minutes (best of three runs, so
    // that a busy CI runner's pauses do not count).
    expect(bestTimeMs(() => findParams(line))).toBeLessThan(500);
  });
});
