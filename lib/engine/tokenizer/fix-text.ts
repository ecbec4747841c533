import { isBad } from "./ftfy-badness.ts";
import { UTF8_CLUES } from "./ftfy-chardata.ts";
import type { CharmapEncoding } from "./ftfy-codecs.ts";
import {
  CHARMAP_ENCODINGS,
  decodeUtf8,
  decodeUtf8Variants,
  encodeSingleByte,
  hasAlteredUtf8,
  replaceLossySequences,
  restoreByteA0,
} from "./ftfy-codecs.ts";
import {
  C1_CONTROL,
  fixC1Controls,
  fixCharacterWidth,
  fixLatinLigatures,
  fixLineBreaks,
  fixSurrogates,
  removeControlChars,
  removeTerminalEscapes,
  uncurlQuotes,
  unescapeHtml,
} from "./ftfy-fixes.ts";

/**
 * `ftfy.fix_text` with its default `TextFixerConfig` (rspeer/python-ftfy 6.3.1), which the CLIP tokenizers that
 * A1111 uses run on every prompt before BPE (openai/CLIP and open_clip `simple_tokenizer.basic_clean`, transformers
 * `CLIPTokenizer._tokenize`). Written from ftfy's documented algorithm; the tables it needs are in
 * `ftfy-chardata.ts` and `html5-entities.ts`.
 *
 * What it does, in ftfy's order:
 * - Splits the text after each "\n" (and every 1,000,000 code points, `max_decode_length`) and fixes each segment
 *   on its own. HTML unescaping is "auto": from the first segment holding a "<" on, it is off for the rest of the text.
 * - On each segment, repeats until nothing changes: `unescape_html`; `fix_encoding` (below); `fix_c1_controls`,
 *   `fix_latin_ligatures`, `fix_character_width`, `uncurl_quotes`, `fix_line_breaks`, `fix_surrogates`,
 *   `remove_terminal_escapes`, `remove_control_chars`; NFC.
 * - `fix_encoding` repeats one step until nothing changes. The step leaves ASCII and text that does not look like
 *   mojibake (`badness.is_bad`) alone; otherwise it tries to re-encode the whole text in each single-byte codec ftfy
 *   knows (Latin-1, the sloppy Windows-1252/1251/1250/1253/1254/1257, ISO-8859-2, MacRoman, CP437), with
 *   `restore_byte_a0` (not for MacRoman) and, for the sloppy codecs, `replace_lossy_sequences`, and to decode the
 *   bytes as UTF-8 (or ftfy's utf-8-variants when they hold ED or C0); the first that decodes wins. Then it tries
 *   `decode_inconsistent_utf8` (runs of UTF-8-looking mojibake fixed in isolation), then Latin-1 → Windows-1252 for
 *   text with C1 controls, then `fix_c1_controls`.
 *
 * All of that is reproduced, including the corner where the utf-8-variants patterns' "$" also matches before a
 * final "\n" (so a CESU-8 pair cut off by the end of a line swallows the newline, as in ftfy).
 *
 * Bounded work. ftfy repeats its passes and steps until the text stops changing, so text built to need one pass
 * per level of nesting ("&amp;amp;amp;…" thousands deep, terminal escapes nested in each other) takes quadratic
 * time. Here each segment gets a budget of WORK_FACTOR times its length: every pass and every `fix_encoding` step
 * spends the length of the text it looks at, and the repetition stops, keeping the text as it is then, once the
 * budget is spent. Ordinary text spends far less (at most 12 times its length over ftfy's own test corpus and
 * about 60,000 generated mojibake cases checked against ftfy 6.3.1), so only such nested constructions can come
 * out differently from ftfy (less unescaped). Every regular expression is a fixed-length alternation, a repetition
 * of fixed-length alternatives with nothing after it, or a single character-class loop, so each pass is linear.
 *
 * Differences that remain, all from running on another platform rather than from the algorithm:
 * - Unicode data comes from the JavaScript engine's ICU (NFC, NFKC for the width table, `\p{Nd}` in terminal escapes,
 *   `\p{L}\p{N}` for Python's `\w`, upper-casing of HTML entity names and values), not from the Python build's
 *   `unicodedata`; they differ only for characters assigned in different Unicode versions.
 * - Python strings may hold a surrogate pair as two separate code points; a JavaScript string cannot tell those
 *   from the supplementary character, which is what `fix_surrogates` would produce anyway. Lengths (for
 *   `max_decode_length`) are counted in code points, as Python does.
 */

/** ftfy `TextFixerConfig.max_decode_length`. */
const MAX_DECODE_LENGTH = 1_000_000;

/**
 * How much repetition a segment may cost, as a multiple of its length ("Bounded work" in the module comment).
 * Each pass of the segment loop and each `fix_encoding` step (also those on runs inside `decode_inconsistent_utf8`)
 * spends the length of the text it looks at.
 */
const WORK_FACTOR = 64;

/** Work left for the repetitions on one segment. */
interface Budget {
  left: number;
}

const budgetFor = (text: string): Budget => ({ left: WORK_FACTOR * (text.length + 1) });

const escapeChar = (char: string) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`;
const charClass = (chars: string) => `[${Array.from(chars, escapeChar).join("")}]`;

/**
 * ftfy `chardata.UTF8_DETECTOR_RE`: runs of characters that read as UTF-8 lead and continuation bytes in some
 * single-byte codec, not right after a strict continuation character (so a few characters in a large garble are
 * not "fixed" on their own). Each repetition is one fixed-length sequence.
 */
const UTF8_DETECTOR = (() => {
  const continuation = charClass(UTF8_CLUES.utf8Continuation);
  const sequence = [
    charClass(UTF8_CLUES.utf8FirstOf2) + continuation,
    `${charClass(UTF8_CLUES.utf8FirstOf3)}${continuation}{2}`,
    `${charClass(UTF8_CLUES.utf8FirstOf4)}${continuation}{3}`,
  ].join("|");
  return `(?<!${charClass(UTF8_CLUES.utf8ContinuationStrict)})(?:${sequence})+`;
})();
const UTF8_RUNS = new RegExp(UTF8_DETECTOR, "gu");
const HAS_UTF8_RUN = new RegExp(UTF8_DETECTOR, "u");

function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- the ASCII range, as ftfy's ENCODING_REGEXES["ascii"]
  return /^[\u0000-\u007f]*$/.test(text);
}

/** Re-encode in `encoding`, repair the bytes as ftfy does, and decode as UTF-8; undefined if that fails. */
function tryCodec(text: string, encoding: CharmapEncoding): string | undefined {
  let bytes = encodeSingleByte(text, encoding);
  if (bytes === undefined) return undefined;
  // MacRoman is excluded: an en dash followed by a space would look like an altered sequence there.
  if (encoding !== "macroman" && hasAlteredUtf8(bytes)) bytes = restoreByteA0(bytes);
  if (encoding.startsWith("sloppy-")) bytes = replaceLossySequences(bytes);
  return bytes.includes("\xed") || bytes.includes("\xc0") ? decodeUtf8Variants(bytes) : decodeUtf8(bytes);
}

/** ftfy `fixes.decode_inconsistent_utf8`: fixes each run of UTF-8-looking mojibake that is bad on its own. */
function decodeInconsistentUtf8(text: string, budget: Budget): string {
  return text.replace(UTF8_RUNS, (run) =>
    run.length < text.length && isBad(run) ? fixEncodingWithin(run, budget) : run,
  );
}

/** ftfy `_fix_encoding_one_step_and_explain`, without the explanation. */
function fixEncodingStep(text: string, budget: Budget): string {
  if (text.length === 0 || isAscii(text) || !isBad(text)) return text;

  let latin1Possible = false;
  for (const encoding of CHARMAP_ENCODINGS) {
    if (encoding === "latin-1" && encodeSingleByte(text, encoding) !== undefined) latin1Possible = true;
    const fixed = tryCodec(text, encoding);
    if (fixed !== undefined) return fixed;
  }

  if (HAS_UTF8_RUN.test(text)) {
    const fixed = decodeInconsistentUtf8(text, budget);
    if (fixed !== text) return fixed;
  }

  // Latin-1 text whose C1 controls were meant as Windows-1252: `text.encode("latin-1").decode("windows-1252")`,
  // which changes only U+0080–U+009F and fails on the five bytes Windows-1252 leaves unassigned.
  if (latin1Possible && !/[\u0081\u008d\u008f\u0090\u009d]/.test(text)) {
    const fixed = fixC1Controls(text);
    if (fixed !== text) return fixed;
  }

  if (C1_CONTROL.test(text)) return fixC1Controls(text);
  return text;
}

/** `fix_encoding`'s loop: one step at a time until nothing changes or the budget is spent. */
function fixEncodingWithin(text: string, budget: Budget): string {
  let current = text;
  while (budget.left > 0) {
    budget.left -= current.length + 1;
    const next = fixEncodingStep(current, budget);
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** `ftfy.fix_encoding`: undoes mojibake (UTF-8 read as a single-byte codec) until nothing changes. */
export function fixEncoding(text: string): string {
  return fixEncodingWithin(text, budgetFor(text));
}

const CHARACTER_FIXERS: readonly ((text: string) => string)[] = [
  fixC1Controls,
  fixLatinLigatures,
  fixCharacterWidth,
  uncurlQuotes,
  fixLineBreaks,
  fixSurrogates,
  removeTerminalEscapes,
  removeControlChars,
];

/**
 * `ftfy.fix_text_segment` (`fix_and_explain` without the explanation): every fix in ftfy's order, repeated until the
 * text stops changing. `unescape` is false where the "auto" HTML setting saw a "<".
 */
export function fixTextSegment(segment: string, unescape = !segment.includes("<")): string {
  const budget = budgetFor(segment);
  let text = segment;
  while (budget.left > 0) {
    budget.left -= text.length + 1;
    const original = text;
    if (unescape) text = unescapeHtml(text);
    text = fixEncodingWithin(text, budget);
    for (const fixer of CHARACTER_FIXERS) text = fixer(text);
    text = text.normalize("NFC");
    if (text === original) return text;
  }
  return text;
}

/** The UTF-16 index `count` code points after `start` (or the end of the text). */
function advanceCodePoints(text: string, start: number, count: number): number {
  let index = start;
  for (let n = 0; n < count && index < text.length; n++) {
    const unit = text.charCodeAt(index);
    const low = text.charCodeAt(index + 1);
    index += unit >= 0xd800 && unit <= 0xdbff && low >= 0xdc00 && low <= 0xdfff ? 2 : 1;
  }
  return index;
}

/**
 * `ftfy.fix_text(text)` with the default configuration: mojibake, HTML entities, ligatures, character width, curly
 * quotes, line breaks, surrogates, terminal escapes and control characters fixed, then NFC (see the module comment).
 */
export function fixText(text: string): string {
  let out = "";
  let unescape = true;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos) + 1;
    if (end === 0) end = text.length;
    // A segment longer than the limit in UTF-16 units may still be within it in code points.
    if (end - pos > MAX_DECODE_LENGTH) end = Math.min(end, advanceCodePoints(text, pos, MAX_DECODE_LENGTH));
    const segment = text.slice(pos, end);
    if (unescape && segment.includes("<")) unescape = false;
    out += fixTextSegment(segment, unescape);
    pos = end;
  }
  return out;
}
