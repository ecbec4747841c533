import { htmlUnescape } from "./html-unescape.ts";

/**
 * Which CLIP text clean-up runs before BPE. A1111 tokenizes with two different implementations
 * (docs/engine-reference.md §6.1):
 * - "transformers": SD 1.x (and SDXL's first encoder) go through transformers' slow `CLIPTokenizer._tokenize`:
 *   `whitespace_clean(ftfy.fix_text(text)).lower()` — no HTML unescaping;
 * - "open_clip": SD 2.x and SDXL's second encoder go through open_clip's `SimpleTokenizer.encode`:
 *   `whitespace_clean(basic_clean(text)).lower()`, where `basic_clean` is `ftfy.fix_text`, `html.unescape` twice, strip.
 * `ftfy.fix_text` is lib/engine/tokenizer/fix-text.ts and runs before this function.
 */
export type ClipTextCleanup = "transformers" | "open_clip";

/** Python's `\s` for str (`str.isspace`): JavaScript's `\s` minus U+FEFF, plus U+001C–U+001F and U+0085. */
// eslint-disable-next-line no-control-regex -- U+001C–U+001F count as whitespace for Python's str.isspace
const PYTHON_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;

/** CLIP's clean-up after `ftfy.fix_text`: optional double HTML unescape, `whitespace_clean`, lower-case. */
export function cleanClipText(fixedText: string, cleanup: ClipTextCleanup): string {
  const text = cleanup === "open_clip" ? htmlUnescape(htmlUnescape(fixedText)) : fixedText;
  return text.replace(PYTHON_WHITESPACE, " ").trim().toLowerCase();
}
