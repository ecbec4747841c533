/**
 * Python's value formatting as A1111's infotext (`str(v)`) and `info` (`json.dumps(v)`) use it. Expected strings are
 * what CPython 3 prints: `repr(float)` is the shortest round-trip repr with ".0" for integral values and an exponent
 * below 1e-4 or from 1e16; json.dumps uses ", " / ": " and ensure_ascii=True (docs/a1111-semantics.md §2.4).
 */
import { describe, expect, it } from "vitest";
import { formatPyFloat, pyFloat, pyJsonDumps, pyJsonDumpsUnicode, pyStr } from "../../../lib/a1111/infotext/python-format.ts";

describe("repr(float)", () => {
  it.each([
    [7, "7.0"],
    [0.75, "0.75"],
    [-2.5, "-2.5"],
    [0.1 + 0.2, "0.30000000000000004"],
    [123456789, "123456789.0"],
    [9999999999999998, "9999999999999998.0"],
    [1e16, "1e+16"],
    [12345678901234568, "1.2345678901234568e+16"],
    [1e22, "1e+22"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [-3e-10, "-3e-10"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [0, "0.0"],
    [-0, "-0.0"],
    [Number.NaN, "nan"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
  ])("repr(%d) is %s", (value, expected) => {
    expect(formatPyFloat(value)).toBe(expected);
  });
});

describe("str(v) for infotext values", () => {
  it("prints Python's spellings", () => {
    expect(pyStr(pyFloat(7))).toBe("7.0");
    expect(pyStr(7)).toBe("7");
    expect(pyStr(0.5)).toBe("0.5");
    expect(pyStr(true)).toBe("True");
    expect(pyStr(false)).toBe("False");
    expect(pyStr(null)).toBe("None");
    expect(pyStr("Euler a")).toBe("Euler a");
  });
});

describe("json.dumps(v)", () => {
  it("uses ', ' and ': ' separators", () => {
    expect(pyJsonDumps({ a: [1, 2], b: { c: null } })).toBe('{"a": [1, 2], "b": {"c": null}}');
    expect(pyJsonDumps([])).toBe("[]");
    expect(pyJsonDumps({})).toBe("{}");
  });

  it("prints floats as Python floats and non-finite ones as JavaScript literals", () => {
    expect(pyJsonDumps([pyFloat(7), 7, 0.5, pyFloat(1e16)])).toBe("[7.0, 7, 0.5, 1e+16]");
    expect(pyJsonDumps([pyFloat(Infinity), pyFloat(-Infinity), pyFloat(Number.NaN)])).toBe("[Infinity, -Infinity, NaN]");
  });

  it("escapes non-ASCII as \\uXXXX, astral characters as surrogate pairs (ensure_ascii=True)", () => {
    expect(pyJsonDumps("é")).toBe('"\\u00e9"');
    expect(pyJsonDumps("猫")).toBe('"\\u732b"');
    expect(pyJsonDumps("😀")).toBe('"\\ud83d\\ude00"');
    expect(pyJsonDumps("\x7f")).toBe('"\\u007f"');
  });

  it("escapes quotes, backslashes and control characters as Python does", () => {
    expect(pyJsonDumps('a "b" \\ c')).toBe('"a \\"b\\" \\\\ c"');
    expect(pyJsonDumps("\n\r\t\b\f")).toBe('"\\n\\r\\t\\b\\f"');
    expect(pyJsonDumps("\x01\x1f")).toBe('"\\u0001\\u001f"');
    expect(pyJsonDumps("/")).toBe('"/"');
  });

  it("escapes keys too, and writes undefined as null (default=lambda o: None)", () => {
    expect(pyJsonDumps({ "ключ": true, flag: false })).toBe('{"\\u043a\\u043b\\u044e\\u0447": true, "flag": false}');
    expect(pyJsonDumps(undefined)).toBe("null");
  });

  it("json.dumps(s, ensure_ascii=False) keeps non-ASCII", () => {
    expect(pyJsonDumpsUnicode('Kätzchen, "猫"\n')).toBe('"Kätzchen, \\"猫\\"\\n"');
  });
});
