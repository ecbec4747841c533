import { MOJIBAKE_CATEGORIES } from "./ftfy-chardata.ts";

/**
 * ftfy's mojibake heuristic (rspeer/python-ftfy 6.3.1, `ftfy/badness.py`, `is_bad`): text "looks bad" when it holds
 * one of a list of short character sequences that almost only occur in UTF-8 read through a single-byte codec —
 * a C1 control, a "bad" symbol next to an accented letter, box drawing next to currency, and so on. Each rule below
 * is a fixed-length sequence of character classes (built from `MOJIBAKE_CATEGORIES`), so one regular expression
 * over all of them runs in time linear in the text.
 */

type Category = keyof typeof MOJIBAKE_CATEGORIES;

function escapeCodePoint(char: string): string {
  return `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`;
}

/** A character class of the given categories, extra literal characters and raw class syntax (such as `a-z`). */
function anyOf(categories: readonly Category[], extra = "", raw = ""): string {
  const chars = categories.map((name) => MOJIBAKE_CATEGORIES[name]).join("") + extra;
  return `[${raw}${Array.from(chars, escapeCodePoint).join("")}]`;
}

function literal(chars: string): string {
  return Array.from(chars, escapeCodePoint).join("");
}

/** Python's `\s` in a str pattern (`str.isspace()`): unlike JavaScript's, U+001C–U+001F and U+0085 but not U+FEFF. */
const PYTHON_SPACE =
  "[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
/** Python's `\w` in a str pattern: letters, digits and numerics of any script, and "_". */
const PYTHON_WORD = "[\\p{L}\\p{N}_]";

const C1: Category[] = ["c1"];
const BAD: Category[] = ["bad"];
const UA: Category[] = ["upperAccented"];
const LA: Category[] = ["lowerAccented"];
const SP: Category[] = ["startPunctuation"];
const EP: Category[] = ["endPunctuation"];
const CUR: Category[] = ["currency"];
const NUM: Category[] = ["numeric"];
const LAW: Category[] = ["law"];
const BOX: Category[] = ["box"];
const COMMON: Category[] = ["common"];
const LC: Category[] = ["lowerCommon"];
const UC: Category[] = ["upperCommon"];
const KAOMOJI: Category[] = ["kaomoji"];

/** Arabic Windows-1252 mojibake: Ø/Ù followed by one of these, twice in a row. */
const ARABIC_TAIL = anyOf([...COMMON, ...CUR, ...BAD, ...NUM, ...SP], "ŸŠ®°µ»");

/** The sequences of `badness.BADNESS_RE`, one per line, in ftfy's order. */
const RULES: readonly string[] = [
  anyOf(C1),
  anyOf([...BAD, ...LA, ...UA, ...BOX, ...SP, ...EP, ...CUR, ...NUM, ...LAW]) + anyOf(BAD),
  "[a-zA-Z]" + anyOf([...LC, ...UC]) + anyOf(BAD),
  anyOf(BAD) + anyOf([...LA, ...UA, ...BOX, ...SP, ...EP, ...CUR, ...NUM, ...LAW]),
  anyOf([...LA, ...LC, ...BOX, ...EP, ...CUR, ...NUM]) + anyOf(UA),
  anyOf([...BOX, ...EP, ...CUR, ...NUM]) + anyOf(LA),
  anyOf([...LA, ...BOX, ...EP]) + anyOf(CUR),
  PYTHON_SPACE + anyOf(UA) + anyOf(CUR),
  anyOf([...UA, ...BOX]) + anyOf([...NUM, ...LAW]),
  anyOf([...LA, ...UA, ...BOX, ...CUR, ...EP]) + anyOf(SP) + anyOf(NUM),
  anyOf([...LA, ...UA, ...CUR, ...NUM, ...BOX, ...LAW]) + anyOf(EP) + anyOf(SP),
  anyOf([...CUR, ...NUM, ...BOX]) + anyOf(SP),
  "[a-z]" + anyOf(UA) + anyOf([...SP, ...CUR]),
  anyOf(BOX) + anyOf(KAOMOJI),
  anyOf([...LA, ...UA, ...CUR, ...NUM, ...SP, ...EP, ...LAW]) + anyOf(BOX),
  anyOf(BOX) + anyOf(EP),
  anyOf([...LA, ...UA]) + anyOf([...SP, ...EP]) + PYTHON_WORD,
  // The ligature œ when not followed by an unaccented Latin letter.
  "[Œœ][^A-Za-z]",
  // A degree sign after a capital accented letter.
  anyOf(UA) + literal("°"),
  // Common Windows-1252 two-character mojibake the rules above miss.
  anyOf([], "ÂÃÎÐ") + anyOf([...SP, ...EP], "€œŠš¢£Ÿž\xa0\xad®©°·»–—´"),
  literal("×") + "[²³]",
  "[ØÙ]" + ARABIC_TAIL + "[ØÙ]" + ARABIC_TAIL,
  // Windows-1252 mojibake of the first byte of some South Asian scripts.
  literal("à") + "[²µ¹¼½¾]",
  // MacRoman mojibake.
  literal("√") + "[±∂†≠®™´≤≥¥µø]",
  literal("≈") + "[°¢]",
  literal("‚Ä") + "[ìîïòôúùû†°¢π]",
  literal("‚") + "[âó][àä°ê]",
  // Windows-1251 mojibake of U+2000–U+206F.
  literal("вЂ"),
  // Windows-1251 mojibake of Latin-1 or Cyrillic: a three-character sequence.
  "[ВГРС]" + anyOf([...C1, ...BAD, ...SP, ...EP, ...CUR], "°µ") + "[ВГРС]",
  // Windows-1251 mojibake on top of Latin-1 mojibake of Windows-1252 punctuation, next to a Latin letter.
  literal("ГўВЂВ") + "[^\\n][A-Za-z ]",
  // Windows-1252 of "à", "á" and U+00A0 itself.
  literal("Ã") + "[\\xa0¡]",
  "[a-z]" + PYTHON_SPACE + "?[ÃÂ] ",
  "^[ÃÂ] ",
  // Â before a character it encodes together with, where that character is common.
  anyOf(EP, ".,?!", "a-z") + literal("Â") + anyOf([...SP, ...EP], " "),
  // Windows-1253 mojibake of U+2000–U+206F.
  literal("β€") + "[™\\xa0Ά\\xad®°]",
  // Windows-1253 mojibake of Latin-1 or Greek: a three-character sequence.
  "[ΒΓΞΟ]" + anyOf([...C1, ...BAD, ...SP, ...EP, ...CUR], "°") + "[ΒΓΞΟ]",
  // Windows-1257 mojibake of U+2000–U+206F.
  literal("ā€"),
];

const BADNESS = new RegExp(RULES.join("|"), "u");

/** ftfy `badness.is_bad`: whether the text holds at least one sequence that is very likely mojibake. */
export function isBad(text: string): boolean {
  return BADNESS.test(text);
}
