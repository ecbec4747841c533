import { htmlUnescape } from "./html-unescape.ts";

/**
 * CLIP's text clean-up before BPE (openai/CLIP `simple_tokenizer.py`: `basic_clean`, `whitespace_clean`, `.lower()`).
 * `ftfy.fix_text` is reduced to its NFC normalisation (docs/engine-reference.md §6.1): its mojibake, quote and width repairs
 * are not reproduced.
 */
export function cleanClipText(text: string): string {
  const unescaped = htmlUnescape(htmlUnescape(text.normalize("NFC"))).trim();
  return unescaped.replace(/\s+/g, " ").trim().toLowerCase();
}
