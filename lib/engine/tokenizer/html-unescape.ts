/**
 * HTML character-reference decoding with the rules of Python's `html.unescape` (CPython `Lib/html/__init__.py`),
 * which the CLIP tokenizer's `basic_clean` applies to every prompt (openai/CLIP `simple_tokenizer.py`).
 *
 * Numeric references follow Python exactly; named ones use the full HTML5 table (html5-entities.ts), including the
 * legacy names accepted without a trailing `;` and Python's longest-legacy-prefix rule (`&copyright` → `©right`).
 */
import { HTML5_ENTITIES, HTML5_NAMES_WITHOUT_SEMICOLON } from "./html5-entities.ts";

/** Python `html._charref`. */
const CHARACTER_REFERENCE = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

/** Python maps C1 references like the browsers do, through Windows-1252 (`html._invalid_charrefs`). */
const windows1252 = new TextDecoder("windows-1252");

/** Python `html._invalid_codepoints`: references to these decode to nothing. */
function isDroppedCodePoint(cp: number): boolean {
  return (
    (cp >= 0x1 && cp <= 0x8) ||
    cp === 0xb ||
    (cp >= 0xe && cp <= 0x1f) ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0xfdd0 && cp <= 0xfdef) ||
    (cp & 0xfffe) === 0xfffe
  );
}

function decodeNumeric(reference: string): string {
  const hex = reference[1] === "x" || reference[1] === "X";
  const digits = reference.slice(hex ? 2 : 1).replace(/;$/, "");
  const cp = Number.parseInt(digits, hex ? 16 : 10);
  if (cp === 0) return "\ufffd";
  if (cp >= 0x80 && cp <= 0x9f) return windows1252.decode(Uint8Array.of(cp));
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return "\ufffd";
  if (isDroppedCodePoint(cp)) return "";
  return String.fromCodePoint(cp);
}

/** Python `html._replace_charref` for a named reference (`reference` is the name, with its `;` if it had one). */
function decodeNamed(reference: string): string {
  if (reference.endsWith(";")) {
    const value = HTML5_ENTITIES.get(reference.slice(0, -1));
    if (value !== undefined) return value;
  } else if (HTML5_NAMES_WITHOUT_SEMICOLON.has(reference)) return HTML5_ENTITIES.get(reference)!;
  // The longest prefix that is a name valid without `;` (the reference is at most 33 characters).
  for (let end = reference.length - 1; end > 1; end--) {
    const name = reference.slice(0, end);
    if (HTML5_NAMES_WITHOUT_SEMICOLON.has(name)) return HTML5_ENTITIES.get(name)! + reference.slice(end);
  }
  return `&${reference}`;
}

/** Decodes HTML character references in `text` as Python's `html.unescape` does. */
export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARACTER_REFERENCE, (_match, reference: string) =>
    reference.startsWith("#") ? decodeNumeric(reference) : decodeNamed(reference),
  );
}
