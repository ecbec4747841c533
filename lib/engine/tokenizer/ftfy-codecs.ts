import { Buffer } from "node:buffer";
import { HIGH_HALF } from "./ftfy-chardata.ts";

/**
 * The byte-level half of ftfy's `fix_encoding` (rspeer/python-ftfy 6.3.1): encoding text back to the bytes a
 * single-byte codec would have produced, the byte transcoders `restore_byte_a0` and `replace_lossy_sequences`, and
 * decoding those bytes as UTF-8 or as ftfy's "utf-8-variants" (CESU-8 and Java's two-byte NUL).
 *
 * Bytes are carried as "binary strings": one UTF-16 unit per byte, 0x00–0xFF. That keeps the byte patterns plain
 * regular expressions without the `u` flag, matching exactly what Python's `bytes` patterns match.
 */

/** ftfy `chardata.CHARMAP_ENCODINGS`, in the order `fix_encoding` tries them. */
export const CHARMAP_ENCODINGS = [
  "latin-1",
  "sloppy-windows-1252",
  "sloppy-windows-1251",
  "sloppy-windows-1250",
  "sloppy-windows-1253",
  "sloppy-windows-1254",
  "sloppy-windows-1257",
  "iso-8859-2",
  "macroman",
  "cp437",
] as const;

export type CharmapEncoding = (typeof CHARMAP_ENCODINGS)[number];

/** U+FFFD, which ftfy's sloppy codecs write as byte 0x1A (ASCII SUBSTITUTE). */
const REPLACEMENT = 0xfffd;
const SUBSTITUTE = 0x1a;

/** Code unit → byte for the upper half of each codec; the lower half is ASCII in all of them. */
const ENCODE_TABLES: ReadonlyMap<CharmapEncoding, ReadonlyMap<number, number>> = new Map(
  CHARMAP_ENCODINGS.map((encoding): [CharmapEncoding, Map<number, number>] => {
    const table = new Map<number, number>();
    const high = encoding === "latin-1" ? undefined : HIGH_HALF[encoding];
    for (let byte = 0x80; byte <= 0xff; byte++) {
      table.set(high === undefined ? byte : high.charCodeAt(byte - 0x80), byte);
    }
    return [encoding, table];
  }),
);

/**
 * `text.encode(encoding)` as a binary string, or undefined where a character has no byte in that codec (ftfy
 * tests this first with `chardata.possible_encoding`). In the sloppy codecs U+FFFD is byte 0x1A and U+001A itself
 * cannot be written; the plain codecs map U+001A to byte 0x1A as usual.
 */
export function encodeSingleByte(text: string, encoding: CharmapEncoding): string | undefined {
  const table = ENCODE_TABLES.get(encoding);
  if (table === undefined) throw new Error(`unknown codec ${encoding}`);
  const sloppy = encoding.startsWith("sloppy-");
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      if (sloppy && unit === SUBSTITUTE) return undefined;
      bytes.push(unit);
    } else if (sloppy && unit === REPLACEMENT) {
      bytes.push(SUBSTITUTE);
    } else {
      const byte = table.get(unit);
      if (byte === undefined) return undefined;
      bytes.push(byte);
    }
  }
  return binaryString(bytes);
}

/** `bytes.decode(encoding)` for the codecs above (all map every byte except the sloppy 0x1A). */
export function decodeSingleByte(bytes: string, encoding: CharmapEncoding): string {
  if (encoding === "latin-1") return bytes;
  const high = HIGH_HALF[encoding];
  if (high === undefined) throw new Error(`unknown codec ${encoding}`);
  const sloppy = encoding.startsWith("sloppy-");
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes.charCodeAt(i);
    if (byte >= 0x80) out += high[byte - 0x80];
    else if (sloppy && byte === SUBSTITUTE) out += "\ufffd";
    else out += bytes[i];
  }
  return out;
}

function binaryString(bytes: readonly number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.slice(i, i + 8192));
  return out;
}

/** Bounds of the second byte of a UTF-8 sequence by lead byte (Unicode 15, table 3-7: well-formed sequences). */
function secondByteRange(lead: number): [number, number] | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return [0x80, 0xbf];
  if (lead === 0xe0) return [0xa0, 0xbf];
  if (lead === 0xed) return [0x80, 0x9f];
  if (lead >= 0xe1 && lead <= 0xef) return [0x80, 0xbf];
  if (lead === 0xf0) return [0x90, 0xbf];
  if (lead >= 0xf1 && lead <= 0xf3) return [0x80, 0xbf];
  if (lead === 0xf4) return [0x80, 0x8f];
  return undefined;
}

/** Whether the bytes are well-formed UTF-8 (no overlongs, encoded surrogates or values past U+10FFFF). */
function isWellFormedUtf8(bytes: string): boolean {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes.charCodeAt(i);
    if (lead < 0x80) {
      i++;
      continue;
    }
    const second = secondByteRange(lead);
    if (second === undefined || !inRange(bytes, i + 1, second[0], second[1])) return false;
    const length = lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
    for (let k = 2; k < length; k++) if (!inRange(bytes, i + k, 0x80, 0xbf)) return false;
    i += length;
  }
  return true;
}

/**
 * Python's strict `bytes.decode("utf-8")`, or undefined where it would raise. A leading byte-order mark stays
 * U+FEFF, as in Python (Node's Buffer decoding keeps it too).
 */
export function decodeUtf8(bytes: string): string | undefined {
  return isWellFormedUtf8(bytes) ? Buffer.from(bytes, "latin1").toString("utf8") : undefined;
}

/**
 * Python's `re` `$` in a bytes pattern without MULTILINE: the end of the input, or just before a final b"\n".
 * ftfy's utf-8-variants patterns use it to accept sequences cut off by the end of the input.
 */
function atEnd(bytes: string, i: number): boolean {
  return i === bytes.length || (i === bytes.length - 1 && bytes.charCodeAt(i) === 0x0a);
}

function inRange(bytes: string, i: number, low: number, high: number): boolean {
  const byte = bytes.charCodeAt(i); // NaN past the end: never in range
  return byte >= low && byte <= high;
}

/**
 * Where ftfy's utf-8-variants decoder stops to treat bytes specially (`utf8_variants.SPECIAL_BYTES_RE`): C0 before
 * 80 or the end (Java's NUL), or ED followed by a surrogate's second and third byte, each possibly cut off by the end.
 */
function isSpecialStart(bytes: string, i: number): boolean {
  const byte = bytes.charCodeAt(i);
  if (byte === 0xc0) return atEnd(bytes, i + 1) || bytes.charCodeAt(i + 1) === 0x80;
  if (byte !== 0xed) return false;
  let p = i + 1;
  if (inRange(bytes, p, 0xa0, 0xbf)) p++;
  else if (!atEnd(bytes, p)) return false;
  return inRange(bytes, p, 0x80, 0xbf) || atEnd(bytes, p);
}

/** A six-byte CESU-8 surrogate pair at `i` (`utf8_variants.CESU8_RE`, with at least six bytes left). */
function isCesu8Pair(bytes: string, i: number): boolean {
  return (
    inRange(bytes, i + 1, 0xa0, 0xaf) &&
    inRange(bytes, i + 2, 0x80, 0xbf) &&
    bytes.charCodeAt(i + 3) === 0xed &&
    inRange(bytes, i + 4, 0xb0, 0xbf) &&
    (inRange(bytes, i + 5, 0x80, 0xbf) || atEnd(bytes, i + 5))
  );
}

/**
 * ftfy's "utf-8-variants" codec (`bad_codecs/utf8_variants.py`) as `bytes.decode` runs it: strict UTF-8, except that
 * C0 80 is U+0000 and a CESU-8 pair of encoded surrogates is the supplementary character it stands for. Undefined
 * where the codec raises.
 */
export function decodeUtf8Variants(bytes: string): string | undefined {
  let out = "";
  let pos = 0;
  while (pos < bytes.length) {
    let special = pos;
    while (special < bytes.length && !isSpecialStart(bytes, special)) special++;
    if (special > pos) {
      const plain = decodeUtf8(bytes.slice(pos, special));
      if (plain === undefined) return undefined;
      out += plain;
      pos = special;
      continue;
    }
    const rest = bytes.length - pos;
    if (bytes.charCodeAt(pos) === 0xc0) {
      // C0 80 (or C0 and a final newline, which the codec's `$` lets through) is a NUL; a lone final C0 is an error.
      if (rest < 2) return undefined;
      out += "\u0000";
      pos += 2;
    } else if (rest < 6) {
      const tail = decodeUtf8(bytes.slice(pos));
      if (tail === undefined) return undefined;
      return out + tail;
    } else if (isCesu8Pair(bytes, pos)) {
      const b = (k: number) => bytes.charCodeAt(pos + k);
      const codePoint = ((b(1) & 0x0f) << 16) + ((b(2) & 0x3f) << 10) + ((b(4) & 0x0f) << 6) + (b(5) & 0x3f) + 0x10000;
      out += String.fromCodePoint(codePoint);
      pos += 6;
    } else {
      // ED followed by a surrogate's continuation bytes but no CESU-8 pair: invalid UTF-8.
      return undefined;
    }
  }
  return out;
}

/**
 * ftfy `chardata.ALTERED_UTF8_RE`: UTF-8 sequences that would be valid if a space were byte A0, for the lead bytes
 * and positions ftfy trusts (see its comments: C2 C3 C5 CE D0 D9 two-byte leads, E0–E3 three-byte, F0 four-byte).
 */
const ALTERED_UTF8 = new RegExp(
  [
    "[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9] ",
    "[\\xe2\\xe3] [\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]",
    "[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf] ",
    "\\xf0 [\\x80-\\xbf][\\x80-\\xbf]",
    "\\xf0[\\x80-\\xbf] [\\x80-\\xbf]",
    "\\xf0[\\x80-\\xbf][\\x80-\\xbf] ",
  ].join("|"),
  "g",
);

/** ftfy `fixes.A_GRAVE_WORD_RE`: "Ã " standing alone is "à " (with the A0 restored and the space kept). */
const A_GRAVE_WORD = /\xc3 (?! |quele|quela|quilo|s )/g;

export function hasAlteredUtf8(bytes: string): boolean {
  ALTERED_UTF8.lastIndex = 0;
  return ALTERED_UTF8.test(bytes);
}

/** ftfy `fixes.restore_byte_a0`: put back the A0 bytes that a space replaced inside UTF-8 sequences. */
export function restoreByteA0(bytes: string): string {
  return bytes.replace(A_GRAVE_WORD, "\xc3\xa0 ").replace(ALTERED_UTF8, (match) => match.replaceAll(" ", "\xa0"));
}

/**
 * ftfy `chardata.LOSSY_UTF8_RE`: UTF-8 (and CESU-8) sequences whose continuation bytes were lost to U+FFFD (byte
 * 1A in the sloppy codecs) or, once per sequence, to "?"; and any other 1A.
 */
const LOSSY_UTF8 = new RegExp(
  [
    "[\\xc2-\\xdf]\\x1a",
    "[\\xc2\\xc3]\\?",
    "\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]",
    "\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]",
    "[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]",
    "[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]",
    "[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]",
    "[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]",
    "[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]",
    "\\x1a",
  ].join("|"),
  "g",
);

/** ftfy `fixes.replace_lossy_sequences`: each such sequence becomes the UTF-8 bytes of U+FFFD. */
export function replaceLossySequences(bytes: string): string {
  return bytes.replace(LOSSY_UTF8, "\xef\xbf\xbd");
}
