/**
 * `re_param.findall(line)` of A1111's `infotext_utils` without the regex, in linear time:
 *
 *     \s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)
 *
 * Python's backtracking engine retries every start position, and at each one rescans the run of key characters
 * ahead of it, so a long run without a colon (20,000 × "a") takes seconds. The regex's choices are forced, which is
 * what makes a scan possible (Python `re`, str patterns, no flags; `\s`, `\w` and `$` as python-text.ts and the
 * comments below describe):
 *
 * - `\s*` is greedy and `\w` cannot match whitespace, so the key starts where the whitespace run ends.
 * - `[\w \-/]+` is greedy and cannot match ":", so the key is the whole run of key characters, which must be
 *   followed by ":" (backtracking to a shorter run leaves a key character, not ":").
 * - The quoted alternative is tried first: `"`, then tokens that are either `\` and any character but a newline, or
 *   a character other than `\` and `"`, at least one, then `"` and `,` or the end. Tokens split the text one way
 *   only, so the first unescaped quote is the only closing quote the regex can use; if `,`/end does not follow it,
 *   the alternative fails.
 * - `[^,]*` then `(?:,|$)` always matches (up to the next comma, or to the end), so `\s*` before the value never
 *   has to give anything back.
 *
 * A start position fails only when no key (ending in ":") starts there; the next position is then tried, using
 * precomputed run ends, so each attempt costs O(1) plus the match it makes. A quoted value's scan ends at the first
 * unescaped quote, which no later value scan can start before, so scans never overlap.
 */
import { isPythonSpace } from "../../engine/prompts/python-text.ts";
import { PYTHON_WORD_CHAR } from "../../engine/prompts/python-word.ts";

const WORD = new RegExp(`^${PYTHON_WORD_CHAR}$`, "u");

/** One code point per element, as Python indexes a str. */
type CodePoints = readonly string[];

/** For each index, the first index at or after it whose character fails `test` (a run end). */
function runEnds(cps: CodePoints, test: (c: string) => boolean): Int32Array {
  const ends = new Int32Array(cps.length + 1);
  ends[cps.length] = cps.length;
  for (let i = cps.length - 1; i >= 0; i--) ends[i] = test(cps[i]!) ? ends[i + 1]! : i;
  return ends;
}

/** Python's `\w` for one code point, ASCII first. */
function isWord(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code < 0x80) return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;
  return WORD.test(c);
}

const isKeyChar = (c: string) => c === " " || c === "-" || c === "/" || isWord(c);

/**
 * The index of the closing quote of `"(?:\\.|[^\\"])+"` whose opening quote is at `open`, or -1: the first quote
 * at a token boundary, with at least one token before it. A backslash at the end, or before a newline, ends the
 * tokens (Python's `.` does not match a newline).
 */
function closingQuote(cps: CodePoints, open: number): number {
  let i = open + 1;
  while (i < cps.length) {
    const c = cps[i];
    if (c === '"') return i > open + 1 ? i : -1;
    if (c === "\\") {
      if (i + 1 >= cps.length || cps[i + 1] === "\n") return -1;
      i += 2;
    } else i += 1;
  }
  return -1;
}

/** Python's `$` without MULTILINE: the end, or just before a newline that ends the string. */
const atDollar = (cps: CodePoints, i: number) => i === cps.length || (i === cps.length - 1 && cps[i] === "\n");

/** Every `(key, value)` that `re_param.findall(line)` returns, in order. */
export function findParams(line: string): Array<[key: string, value: string]> {
  const cps: CodePoints = Array.from(line);
  const n = cps.length;
  const spaceEnd = runEnds(cps, isPythonSpace);
  const keyEnd = runEnds(cps, isKeyChar);
  const out: Array<[string, string]> = [];
  // UTF-16 offset of each code point, so values are cut from `line` itself.
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + cps[i]!.length;
  const text = (from: number, to: number) => line.slice(offsets[from], offsets[to]);

  let pos = 0;
  while (pos < n) {
    const keyStart = spaceEnd[pos]!;
    const colon = keyStart < n && isWord(cps[keyStart]!) ? keyEnd[keyStart + 1]! : -1;
    if (colon < keyStart + 2 || cps[colon] !== ":") {
      pos += 1;
      continue;
    }
    const valueStart = spaceEnd[colon + 1]!;
    let valueEnd = -1;
    let matchEnd = -1;
    if (cps[valueStart] === '"') {
      const close = closingQuote(cps, valueStart);
      if (close >= 0 && cps[close + 1] === ",") [valueEnd, matchEnd] = [close + 1, close + 2];
      else if (close >= 0 && atDollar(cps, close + 1)) [valueEnd, matchEnd] = [close + 1, close + 1];
    }
    if (valueEnd < 0) {
      let comma = valueStart;
      while (comma < n && cps[comma] !== ",") comma++;
      [valueEnd, matchEnd] = [comma, comma < n ? comma + 1 : n];
    }
    out.push([text(keyStart, colon), text(valueStart, valueEnd)]);
    pos = matchEnd;
  }
  return out;
}
