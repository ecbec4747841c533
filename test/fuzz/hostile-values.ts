/**
 * Values a client can put anywhere in a JSON body or a query string, chosen to break parsers and coercions:
 * wrong types, bounds and huge numbers, numbers spelled as strings ("NaN", "Infinity", "1e999", Arabic digits),
 * nesting (up to thousands of levels), Unicode (astral, RTL overrides, NUL, lone surrogates, BOM), very long
 * strings, and prompt syntax that exercises A1111's attention, scheduling and AND grammar.
 */
import fc from "fast-check";

/** Any code point, lone surrogate halves included (fast-check's own "binary" unit leaves those out). */
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));

/** Characters that break naive handling, one at a time. */
export const ODD_CHARACTERS = [
  "\u0000",
  "\ud800",
  "\udfff",
  "\udc00\ud800",
  "\u202e",
  "\u200f",
  "\ufeff",
  "\u2028",
  "\u0085",
  "\x1c",
  "\x7f",
  "𝕏",
  "🐱‍👤",
  "e\u0301",
  "٣",
  "５",
  "\\",
  '"',
  "'",
  "%",
  "%00",
  "../",
  "<",
  "&amp;",
  "\r\n",
] as const;

export const oddString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: anyCodePoint, maxLength: 24 }), weight: 4 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...ODD_CHARACTERS), maxLength: 12 }), weight: 3 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 16 }), weight: 2 },
  { arbitrary: fc.constantFrom("", " ", "null", "None", "true", "0", "-1", "NaN", "Infinity", "-Infinity", "1e999", "-0", "0x10", "1_000", " 12 ", "١٢", "1.5", "[]", "{}"), weight: 3 },
);

const LONG_UNITS = ["a", " ", "(", "[a:", "\\", ",", "\u0000", "𝕏", "a:b, ", "\ud800", "BREAK ", "(a:1.1)"];
const LONG_STRINGS = LONG_UNITS.flatMap((unit) => [1_000, 10_001, 65_537, 200_000].map((length) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)));

/** Strings of 1,000 to 200,000 characters, made once by repetition. */
export const longString: fc.Arbitrary<string> = fc.constantFrom(...LONG_STRINGS);

/** Prompt syntax: attention groups and weights, editing, alternation, AND, BREAK, extra networks, odd whitespace. */
const PROMPT_PIECES = ["a cat", " ", "(", ")", "[", "]", ":", ".", "1.5", "-1", "٣", "|", "\\", "BREAK", " AND ", ":1.2", "<hypernet:a>", "[a:b:0.5]", "[a:b:10]", "[a|b]", "\x1c", "\ufeff", ",", "\n", "&amp;", "<|endoftext|>", "𝕏", "\ud800"];
/** Pieces A1111 fails on or Serena refuses: weights float() rejects, an overflowing step, a LoRA tag. */
const FAILING_PIECES = ["(a:.)", "(b:1.2.3)", "..", "[a:b:1e400]", "1e400", "<lora:x:1>"];

export const promptText: fc.Arbitrary<string> = fc
  .array(fc.oneof({ arbitrary: fc.constantFrom(...PROMPT_PIECES), weight: 30 }, { arbitrary: fc.constantFrom(...FAILING_PIECES), weight: 1 }), { maxLength: 16 })
  .map((parts) => parts.join(""));

/** Numbers, from sensible to absurd; JSON cannot carry NaN or ±Infinity, so those come as strings. */
export const oddNumber: fc.Arbitrary<number | string> = fc.oneof(
  fc.integer({ min: -3, max: 130 }),
  fc.constantFrom(0, -0, 1, -1, 0.5, 1e-320, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom("NaN", "nan", "Infinity", "-Infinity", "inf", "1e999", "-1e999", "0x1f", "1e3", " 7 ", "7.0", "١٢", "+5", "--5", ""),
);

/** JSON nested `depth` levels, built without recursion (arrays or objects). */
export function nestedJson(depth: number, kind: "array" | "object"): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = kind === "array" ? [value] : { a: value };
  return value;
}

const DEEP = [2, 31, 33, 200, 5_000, 50_000].flatMap((depth) => [nestedJson(depth, "array"), nestedJson(depth, "object")]);

/** JSON nested 2 to 50,000 levels deep, made once. */
export const deepJson: fc.Arbitrary<unknown> = fc.constantFrom(...DEEP);

const WIDE = [10, 10_001, 100_000].flatMap((n) => [
  Array.from({ length: n }, (_, i) => i),
  Object.fromEntries(Array.from({ length: Math.min(n, 20_000) }, (_, i) => [`k${i}`, i])),
]);

/** Wide JSON: many keys or many items, made once. */
export const wideJson: fc.Arbitrary<unknown> = fc.constantFrom(...WIDE);

/** Any JSON value a client might send in a field. */
export const oddJson: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: oddString, weight: 5 },
  { arbitrary: oddNumber, weight: 5 },
  { arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { "": null }, { __proto__: 1 }, JSON.parse('{"__proto__": {"polluted": 1}}') as unknown, { constructor: { prototype: 1 } }), weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 3 },
  { arbitrary: deepJson, weight: 1 },
  { arbitrary: wideJson, weight: 1 },
  { arbitrary: longString, weight: 1 },
  { arbitrary: promptText, weight: 2 },
);
