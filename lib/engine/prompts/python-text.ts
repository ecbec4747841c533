/**
 * Python `str` semantics that A1111's prompt and infotext regexes rely on, for code that scans text by hand instead
 * of running those regexes (which backtrack). Python 3 `re` on str patterns, and `str.strip()`:
 *
 * - `\s` is `str.isspace()`: the ASCII controls \t \n \v \f \r, the separators \x1c–\x1f, space, and Unicode's
 *   White_Space separators (Python's `_PyUnicode_IsWhitespace`). JavaScript's `\s` and `trim()` lack \x1c–\x1f and
 *   \x85 and add U+FEFF.
 * - `\d` is any Unicode decimal digit (general category Nd), and `float()` reads those digits too: `float("٣")` is 3.
 *   JavaScript's `\d` is ASCII only and `Number("٣")` is NaN.
 */

/** Python's `\s` as a regex character class (all members are in the BMP). */
export const PYTHON_SPACE_CLASS = String.raw`[\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]`;

const SPACE = new RegExp(`^${PYTHON_SPACE_CLASS}$`);

/** `str.isspace()` of one UTF-16 unit (no whitespace character lies outside the BMP). */
export function isPythonSpace(unit: string | undefined): boolean {
  if (unit === undefined) return false;
  const c = unit.charCodeAt(0);
  if (c < 0x80) return unit.length === 1 && ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20));
  return SPACE.test(unit);
}

/** Index of the first unit at or after `from` that is not Python whitespace. */
export function skipPythonSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isPythonSpace(text[i])) i++;
  return i;
}

/** `end` moved back over Python whitespace (never before `floor`). */
export function backOverPythonSpace(text: string, end: number, floor = 0): number {
  let i = end;
  while (i > floor && isPythonSpace(text[i - 1])) i--;
  return i;
}

/** `str.strip()` with no arguments. */
export function pythonStrip(text: string): string {
  const end = backOverPythonSpace(text, text.length);
  return text.slice(skipPythonSpace(text, 0), end);
}

const DECIMAL_DIGIT = /^\p{Nd}$/u;

/**
 * The value of a decimal digit (`unicodedata.decimal`). Unicode encodes every Nd digit in runs of ten, zero first,
 * so a digit's value is its distance from the start of its run of consecutive Nd code points, modulo 10.
 */
function decimalValue(codePoint: number): number {
  if (codePoint >= 0x30 && codePoint <= 0x39) return codePoint - 0x30;
  let start = codePoint;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (codePoint - start) % 10;
}

/** `[+-]?` then digits with at most one ".", at least one digit: the decimal strings `float()` accepts. */
const DECIMAL_STRING = /^[+-]?(?:\p{Nd}+\.?\p{Nd}*|\.\p{Nd}+)$/u;

/**
 * Python's `float(text)` for a string of an optional sign, Unicode decimal digits and dots (the shapes A1111's
 * `[+-]?[.\d]+` and `[-+]?(?:\d+\.?|\d*\.\d+)` capture), or null where `float()` raises ValueError (".", "1.2.3").
 * Overflow gives ±Infinity, as `float("9" * 400)` does.
 */
export function pythonDecimalFloat(text: string): number | null {
  if (!DECIMAL_STRING.test(text)) return null;
  let ascii = "";
  for (const c of text) ascii += c === "." || c === "+" || c === "-" ? c : String(decimalValue(c.codePointAt(0)!));
  return Number(ascii);
}
