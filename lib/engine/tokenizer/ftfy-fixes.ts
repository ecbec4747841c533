import { decodeSingleByte } from "./ftfy-codecs.ts";
import { htmlUnescape } from "./html-unescape.ts";
import { HTML5_ENTITIES, HTML5_NAMES_WITHOUT_SEMICOLON } from "./html5-entities.ts";

/**
 * The character-level fixers of ftfy's `fix_text` (rspeer/python-ftfy 6.3.1, `ftfy/fixes.py` and the tables in
 * `ftfy/chardata.py`), each a string → string function with the behaviour its ftfy docstring describes.
 */

/**
 * Whether Python's `html.unescape` leaves "&NAME;" as it is: NAME; is no HTML5 name, and no shorter prefix of at
 * least two characters is a name HTML accepts without `;` (Python decodes "&GTX;" as ">X;").
 */
function pythonLeavesAlone(name: string): boolean {
  // Python's `html._charref` reads at most 32 name characters, then an optional ";".
  const reference = name.length <= 32 ? `${name};` : name.slice(0, 32);
  if (name.length <= 32 ? HTML5_ENTITIES.has(name) : HTML5_NAMES_WITHOUT_SEMICOLON.has(reference)) return false;
  for (let end = reference.length - 1; end > 1; end--) {
    if (HTML5_NAMES_WITHOUT_SEMICOLON.has(reference.slice(0, end))) return false;
  }
  return true;
}

/**
 * ftfy `chardata.HTML_ENTITIES` beyond the HTML5 names themselves: for each all-lower-case name, its upper-case
 * spelling decodes to the upper-cased text ("&EACUTE;" → "É"), unless Python's `html.unescape` would read that
 * spelling as something else.
 */
let upperCaseEntities: ReadonlyMap<string, string> | undefined;

function upperCaseEntity(name: string): string | undefined {
  if (upperCaseEntities === undefined) {
    const table = new Map<string, string>();
    for (const [lower, text] of HTML5_ENTITIES) {
      if (lower !== lower.toLowerCase()) continue;
      const upper = lower.toUpperCase();
      if (pythonLeavesAlone(upper)) table.set(upper, text.toUpperCase());
    }
    upperCaseEntities = table;
  }
  return upperCaseEntities.get(name);
}

/** ftfy `chardata.HTML_ENTITY_RE`. */
const HTML_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/**
 * ftfy `fixes.unescape_html`: decodes "&name;" for HTML5 names (and upper-cased Latin ones), and "&#…;" numeric
 * references as Python's `html.unescape` reads them, unless that would leave the `;` behind. References without
 * a `;` are left alone, so informal text such as "this&not that" survives.
 */
export function unescapeHtml(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(HTML_ENTITY, (reference) => {
    if (reference[1] === "#") {
      const decoded = htmlUnescape(reference);
      return decoded.includes(";") ? reference : decoded;
    }
    const name = reference.slice(1, -1);
    return HTML5_ENTITIES.get(name) ?? upperCaseEntity(name) ?? reference;
  });
}

/** ftfy `fixes.ANSI_RE`: ESC [ then digits (Python's `\d`: any decimal digit) and semicolons, then a letter. */
// eslint-disable-next-line no-control-regex -- ESC (U+001B) starts the sequence this removes
const ANSI_ESCAPE = new RegExp("\\x1b\\[[\\p{Nd};]*[a-zA-Z]", "gu");

/** ftfy `fixes.remove_terminal_escapes`: drops "ANSI" colour and cursor sequences. */
export function removeTerminalEscapes(text: string): string {
  return text.includes("\u001b") ? text.replace(ANSI_ESCAPE, "") : text;
}

/** ftfy `fixes.uncurl_quotes`: U+02BC and U+2018–U+201B become "'", U+201C–U+201F become '"'. */
export function uncurlQuotes(text: string): string {
  return text.replace(/[\u201c-\u201f]/g, '"').replace(/[\u02bc\u2018-\u201b]/g, "'");
}

/** ftfy `chardata.LIGATURES`: Latin ligatures and legacy digraphs, but not æ, œ and others used on purpose. */
const LIGATURES: ReadonlyMap<string, string> = new Map([
  ["Ĳ", "IJ"],
  ["ĳ", "ij"],
  ["ŉ", "ʼn"],
  ["Ǳ", "DZ"],
  ["ǲ", "Dz"],
  ["ǳ", "dz"],
  ["Ǆ", "DŽ"],
  ["ǅ", "Dž"],
  ["ǆ", "dž"],
  ["Ǉ", "LJ"],
  ["ǈ", "Lj"],
  ["ǉ", "lj"],
  ["Ǌ", "NJ"],
  ["ǋ", "Nj"],
  ["ǌ", "nj"],
  ["\ufb00", "ff"],
  ["\ufb01", "fi"],
  ["\ufb02", "fl"],
  ["\ufb03", "ffi"],
  ["\ufb04", "ffl"],
  ["\ufb05", "ſt"],
  ["\ufb06", "st"],
]);

const LIGATURE = new RegExp(`[${[...LIGATURES.keys()].join("")}]`, "g");

/** ftfy `fixes.fix_latin_ligatures`. */
export function fixLatinLigatures(text: string): string {
  return text.replace(LIGATURE, (char) => LIGATURES.get(char) ?? char);
}

/**
 * ftfy `chardata.WIDTH_MAP`: U+3000 IDEOGRAPHIC SPACE is a space, and each character of the Halfwidth and Fullwidth
 * Forms block (U+FF01–U+FFEF) that NFKC changes becomes its NFKC form.
 */
const WIDTH_MAP: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>([["\u3000", " "]]);
  for (let cp = 0xff01; cp < 0xfff0; cp++) {
    const char = String.fromCharCode(cp);
    const normal = char.normalize("NFKC");
    if (normal !== char) map.set(char, normal);
  }
  return map;
})();

/** ftfy `fixes.fix_character_width`: fullwidth Latin, halfwidth katakana and Hangul to their usual forms. */
export function fixCharacterWidth(text: string): string {
  return text.replace(/[\u3000\uff01-\uffef]/g, (char) => WIDTH_MAP.get(char) ?? char);
}

/** ftfy `fixes.fix_line_breaks`: CRLF, CR, U+2028, U+2029 and U+0085 NEXT LINE become "\n". */
export function fixLineBreaks(text: string): string {
  return text.replace(/\r\n?|[\u2028\u2029\u0085]/g, "\n");
}

/**
 * ftfy `fixes.fix_surrogates`: paired surrogates become the character they encode (a JavaScript string already
 * reads them so) and lone ones become U+FFFD.
 */
export function fixSurrogates(text: string): string {
  return text.toWellFormed();
}

/**
 * ftfy `chardata.CONTROL_CHARS`, which `fixes.remove_control_chars` deletes: C0 controls except \t \n \f \r, DEL,
 * the deprecated Arabic format characters U+206A–U+206F, U+FEFF and the interlinear annotation marks U+FFF9–U+FFFC.
 */
function isRemovedControl(cp: number): boolean {
  return (
    cp <= 0x08 ||
    cp === 0x0b ||
    (cp >= 0x0e && cp <= 0x1f) ||
    cp === 0x7f ||
    (cp >= 0x206a && cp <= 0x206f) ||
    cp === 0xfeff ||
    (cp >= 0xfff9 && cp <= 0xfffc)
  );
}

/** ftfy `fixes.remove_control_chars`. */
export function removeControlChars(text: string): string {
  let out = "";
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (isRemovedControl(text.charCodeAt(i))) {
      out += text.slice(start, i);
      start = i + 1;
    }
  }
  return start === 0 ? text : out + text.slice(start);
}

/** ftfy `chardata.C1_CONTROL_RE`. */
export const C1_CONTROL = /[\u0080-\u009f]/;

/** ftfy `fixes.fix_c1_controls`: each C1 control is read as the Windows-1252 byte of that number (sloppily). */
export function fixC1Controls(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (char) => decodeSingleByte(char, "sloppy-windows-1252"));
}
