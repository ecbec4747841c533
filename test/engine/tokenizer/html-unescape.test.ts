import { describe, expect, it } from "vitest";
import { htmlUnescape } from "../../../lib/engine/tokenizer/html-unescape.ts";

// Behaviour of Python's html.unescape (CPython Lib/html/__init__.py), which follows the HTML standard's
// character-reference rules (WHATWG HTML §13.2.5.72–80).
describe("htmlUnescape", () => {
  it("decodes named references", () => {
    expect(htmlUnescape("a&amp;b &lt;&gt; &quot;x&quot; &apos;y&apos; caf&eacute; &copy;")).toBe(`a&b <> "x" 'y' café ©`);
  });

  it("decodes legacy names without a semicolon, also as the longest prefix of a longer name", () => {
    expect(htmlUnescape("&copy 2024 &ampx &notit")).toBe("© 2024 &x ¬it");
  });

  it("leaves unknown names alone", () => {
    expect(htmlUnescape("&foo; & a &;")).toBe("&foo; & a &;");
  });

  it("decodes decimal and hexadecimal references", () => {
    expect(htmlUnescape("&#39;&#x27;&#X41;&#128512;")).toBe("''A😀");
  });

  it("maps invalid numeric references as the HTML standard does", () => {
    // NUL and out-of-range → U+FFFD, C1 range through Windows-1252, control characters dropped.
    expect(htmlUnescape("&#0;&#x110000;&#xD800;")).toBe("\ufffd\ufffd\ufffd");
    expect(htmlUnescape("&#128;&#x99;&#x81;")).toBe("€™\x81");
    expect(htmlUnescape("a&#1;b&#x7f;c&#xFFFE;d")).toBe("abcd");
  });

  it("does one pass only", () => {
    expect(htmlUnescape("&amp;amp;")).toBe("&amp;");
  });

  // Vectors from CPython 3.11's html.unescape.
  it.each([
    ["&hellip;", "\u2026"],
    ["&copyright", "\u00a9right"],
    ["&amp", "&"],
    ["&apos;", "'"],
    ["&notit;", "\u00acit;"],
    ["&notin;", "\u2209"],
    ["&NotEqualTilde;", "\u2242\u0338"],
    ["&ampx", "&x"],
    ["&#x80;", "\u20ac"],
    ["&Amp;", "&Amp;"],
    ["&lt;3", "<3"],
    ["&mdash;&ndash;", "\u2014\u2013"],
    ["&Afr;", "\ud835\udd04"],
    ["&bne;", "=\u20e5"],
    ["a &zwj; b", "a \u200d b"],
    ["&nbsp", "\u00a0"],
    ["&frac34x", "\u00bex"],
  ])("decodes %j with the full HTML5 table as Python does", (text, expected) => {
    expect(htmlUnescape(text)).toBe(expected);
  });
});
