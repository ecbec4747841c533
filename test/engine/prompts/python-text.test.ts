/**
 * Python str semantics the hand-written scanners rely on, checked against Python 3.11.2: `str.isspace()` (re's `\s`
 * for str patterns), `str.strip()`, and `float()` of decimal strings with Unicode digits.
 */
import { describe, expect, it } from "vitest";
import { isPythonSpace, pythonDecimalFloat, pythonStrip } from "../../../lib/engine/prompts/python-text.ts";

/** `[hex(c) for c in range(0x110000) if chr(c).isspace()]` on Python 3.11.2. */
const PYTHON_SPACES = [
  0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];

describe("isPythonSpace", () => {
  it("is true for exactly the characters Python's str.isspace() accepts", () => {
    const found: number[] = [];
    for (let c = 0; c <= 0xffff; c++) if (isPythonSpace(String.fromCharCode(c))) found.push(c);
    expect(found).toEqual(PYTHON_SPACES);
  });

  it("differs from JavaScript's \\s where Python does (\\x1c–\\x1f, \\x85 yes; U+FEFF no)", () => {
    expect(isPythonSpace("\x1c")).toBe(true);
    expect(/\s/.test("\x1c")).toBe(false);
    expect(isPythonSpace("\ufeff")).toBe(false);
    expect(/\s/.test("\ufeff")).toBe(true);
    expect(isPythonSpace(undefined)).toBe(false);
  });
});

describe("pythonStrip", () => {
  it("strips Python whitespace only: ' \\x1c a \\ufeff\\x85'.strip() is 'a \\ufeff'", () => {
    expect(pythonStrip(" \x1c a \ufeff\x85")).toBe("a \ufeff");
    expect(pythonStrip("   ")).toBe("");
    expect(pythonStrip("")).toBe("");
  });
});

describe("pythonDecimalFloat", () => {
  it.each([
    ["1.", 1],
    [".5", 0.5],
    ["-.5", -0.5],
    ["+1", 1],
    // Unicode decimal digits: Arabic-Indic, mathematical bold (astral).
    ["٣", 3],
    ["١٢.٥", 12.5],
    ["𝟗", 9],
    ["9".repeat(400), Infinity],
  ])("float(%j) is %d, as in Python", (text, value) => {
    expect(pythonDecimalFloat(text)).toBe(value);
  });

  it.each([".", "..", "1.2.3", "+", "", "1e5", " 1"])("float(%j) raises ValueError in Python (or is not a decimal string): null", (text) => {
    expect(pythonDecimalFloat(text)).toBeNull();
  });

  it("reads every Unicode decimal digit as unicodedata.decimal does", () => {
    // The first and last digit of some Nd runs (unicodedata.decimal on Python 3.11.2).
    const digits: Array<[number, number]> = [[0x660, 0], [0x669, 9], [0x9e6, 0], [0xff10, 0], [0xff19, 9], [0x1d7ce, 0], [0x1d7d8, 0], [0x1d7ff, 9], [0x1e950, 0]];
    for (const [codePoint, value] of digits) expect(pythonDecimalFloat(String.fromCodePoint(codePoint))).toBe(value);
  });
});
