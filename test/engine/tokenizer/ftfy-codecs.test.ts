import { describe, expect, it } from "vitest";
import type { CharmapEncoding } from "../../../lib/engine/tokenizer/ftfy-codecs.ts";
import {
  CHARMAP_ENCODINGS,
  decodeSingleByte,
  decodeUtf8,
  decodeUtf8Variants,
  encodeSingleByte,
  replaceLossySequences,
  restoreByteA0,
} from "../../../lib/engine/tokenizer/ftfy-codecs.ts";

// Bytes are written as binary strings (one character per byte). Reference values come from CPython 3.11 with
// rspeer/python-ftfy 6.3.1 importable: `bytes.decode("utf-8-variants")`, `bytes.decode("utf-8")`, the codecs
// `bytes.decode(encoding)`, and `ftfy.fixes.restore_byte_a0` / `replace_lossy_sequences`; undefined where Python raises.

describe("utf-8-variants and strict UTF-8 decoding", () => {
  it.each([
    ["\xed\xa6\x9d\xed\xbd\xb7 is an unassigned character, and \xc0\x80 is null", "\u{77777} is an unassigned character, and \x00 is null", undefined],
    ["plain \xc3\xa9 \xe2\x80\x9c", "plain é “", "plain é “"],
    ["\xed\xa0\xbd\xed\xb8\x80", "😀", undefined],
    ["\xed\xa0\xbd\xed\xb8\x0a", "😊", undefined],
    ["x\xc0\x0a", "x\x00", undefined],
    ["\xc0\x80\xc0\x80", "\x00\x00", undefined],
    ["\xed\x9f\xbf Hangul", "\ud7ff Hangul", "\ud7ff Hangul"],
    ["\xed\xa0\xbd\xed\xb8", undefined, undefined],
    ["\xed\xa0\x80", undefined, undefined],
    ["\xc0", undefined, undefined],
    ["\xc0\x81", undefined, undefined],
    ["\xed\xa0\xbd\xed\x80\x80x", undefined, undefined],
    ["\xef\xbb\xbfbom", "\ufeffbom", "\ufeffbom"],
    ["\xf0\x9f\x98\x80", "😀", "😀"],
    ["\xf4\x90\x80\x80", undefined, undefined],
    ["\xe0\x80\xaf", undefined, undefined],
  ] as [string, string | undefined, string | undefined][])("%j", (bytes, variants, utf8) => {
    expect(decodeUtf8Variants(bytes)).toBe(variants);
    expect(decodeUtf8(bytes)).toBe(utf8);
  });
});

describe("single-byte codecs", () => {
  it.each([
    ["sloppy-windows-1252", 0x80, "€"],
    ["sloppy-windows-1252", 0x81, "\x81"],
    ["sloppy-windows-1251", 0xc6, "Ж"],
    ["sloppy-windows-1250", 0x9c, "ś"],
    ["sloppy-windows-1253", 0xaa, "ª"],
    ["sloppy-windows-1254", 0xd0, "Ğ"],
    ["sloppy-windows-1257", 0xb8, "ø"],
    ["iso-8859-2", 0xb1, "ą"],
    ["macroman", 0xde, "ﬁ"],
    ["macroman", 0xf0, "\uf8ff"],
    ["cp437", 0xb0, "░"],
    ["cp437", 0xe0, "α"],
    ["latin-1", 0x9f, "\x9f"],
  ] as [CharmapEncoding, number, string][])("%s decodes byte %d as %j", (encoding, byte, char) => {
    expect(decodeSingleByte(String.fromCharCode(byte), encoding)).toBe(char);
    expect(encodeSingleByte(char, encoding)).toBe(String.fromCharCode(byte));
  });

  it.each(CHARMAP_ENCODINGS)("%s encodes what it decodes, byte for byte", (encoding) => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    expect(encodeSingleByte(decodeSingleByte(all, encoding), encoding)).toBe(all);
  });

  it("writes U+FFFD as byte 1A only in the sloppy codecs, which cannot write U+001A", () => {
    // "sloppy-windows-1252" maps byte 0x1A to U+FFFD (ftfy bad_codecs/sloppy.py); "latin-1" has no U+FFFD.
    expect(encodeSingleByte("a\ufffd", "sloppy-windows-1252")).toBe("a\x1a");
    expect(encodeSingleByte("a\x1a", "sloppy-windows-1252")).toBeUndefined();
    expect(encodeSingleByte("a\x1a", "latin-1")).toBe("a\x1a");
    expect(encodeSingleByte("a\ufffd", "latin-1")).toBeUndefined();
  });
});

describe("restore_byte_a0", () => {
  it.each([
    ["\xc3 la mode", "\xc3\xa0 la mode"],
    ["\xc3 s vezes", "\xc3\xa0s vezes"],
    ["\xc3 quele", "\xc3\xa0quele"],
    ["\xc3  x", "\xc3\xa0 x"],
    ["voil\xc3 le", "voil\xc3\xa0 le"],
    ["\xc2 \xc3 ", "\xc2\xa0\xc3\xa0 "],
    ["\xe2 \x9c", "\xe2\xa0\x9c"],
    ["\xe2\x80 ", "\xe2\x80\xa0"],
    ["\xe2\x85 ", "\xe2\x85 "],
    ["\xf0 \x9f\x98", "\xf0\xa0\x9f\x98"],
    ["\xf0\x9f \x98", "\xf0\x9f\xa0\x98"],
    ["\xf0\x9f\x98 ", "\xf0\x9f\x98\xa0"],
    ["\xc4 x", "\xc4 x"],
    ["\xe4\x80 ", "\xe4\x80 "],
  ])("%j → %j", (input, output) => {
    expect(restoreByteA0(input)).toBe(output);
  });
});

describe("replace_lossy_sequences", () => {
  it.each([
    ["\xe2\x80\x1a like this", "\xef\xbf\xbd like this"],
    ["caf\xc3?", "caf\xef\xbf\xbd"],
    ["caf\xc3\x1a", "caf\xef\xbf\xbd"],
    ["\xe2\x1a\x9d", "\xef\xbf\xbd"],
    ["\xe2?\x1a", "\xef\xbf\xbd"],
    ["\xe2??", "\xe2??"],
    ["\xf0\x9f\x1a\x80", "\xef\xbf\xbd"],
    ["\xf0\x1a\x1a\x1a", "\xef\xbf\xbd"],
    ["\xed\xa0\x1a\xed\xb0\x80", "\xef\xbf\xbd"],
    ["\x1a alone", "\xef\xbf\xbd alone"],
    ["a?b", "a?b"],
  ])("%j → %j", (input, output) => {
    expect(replaceLossySequences(input)).toBe(output);
  });
});
