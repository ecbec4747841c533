/**
 * HTML character-reference decoding with the rules of Python's `html.unescape` (CPython `Lib/html/__init__.py`),
 * which the CLIP tokenizer's `basic_clean` applies to every prompt (openai/CLIP `simple_tokenizer.py`).
 *
 * Numeric references follow Python exactly. Named references are a deliberate subset of Python's HTML5 table
 * (no maintained decoder is installed): the 106 "legacy" names that HTML also accepts without a trailing `;`
 * (the Latin-1 block plus amp/lt/gt/quot) and `&apos;`. Other HTML5 names (`&hellip;`, `&mdash;`, …) stay as written.
 */

/** Names of U+00A0…U+00FF in code-point order (HTML 4 Latin-1 entities). */
const LATIN1_NAMES = (
  "nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute " +
  "micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig " +
  "Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash " +
  "Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc " +
  "euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml " +
  "yacute thorn yuml"
).split(" ");

/** Names valid with or without `;`; Python also matches them as the longest prefix of an unknown name. */
const LEGACY_ENTITIES: ReadonlyMap<string, string> = new Map([
  ...LATIN1_NAMES.map((name, i): [string, string] => [name, String.fromCodePoint(0xa0 + i)]),
  ["COPY", "\u00a9"],
  ["REG", "\u00ae"],
  ["amp", "&"],
  ["AMP", "&"],
  ["lt", "<"],
  ["LT", "<"],
  ["gt", ">"],
  ["GT", ">"],
  ["quot", '"'],
  ["QUOT", '"'],
]);

/** Names valid only with `;` (HTML5). */
const SEMICOLON_ENTITIES: ReadonlyMap<string, string> = new Map([["apos", "'"]]);

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

function decodeNamed(reference: string): string {
  if (reference.endsWith(";")) {
    const name = reference.slice(0, -1);
    const value = SEMICOLON_ENTITIES.get(name) ?? LEGACY_ENTITIES.get(name);
    if (value !== undefined) return value;
  } else {
    const value = LEGACY_ENTITIES.get(reference);
    if (value !== undefined) return value;
  }
  for (let end = reference.length - 1; end > 1; end--) {
    const value = LEGACY_ENTITIES.get(reference.slice(0, end));
    if (value !== undefined) return value + reference.slice(end);
  }
  return `&${reference}`;
}

/** Decodes HTML character references in `text` as Python's `html.unescape` does (named ones: see above). */
export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARACTER_REFERENCE, (_match, reference: string) =>
    reference.startsWith("#") ? decodeNumeric(reference) : decodeNamed(reference),
  );
}
