/**
 * PNG text chunks as Pillow reads and writes them (docs/a1111-semantics.md §2.5, §4.2): tEXt for Latin-1 values, an
 * uncompressed iTXt otherwise; tEXt, zTXt and iTXt (compressed or not) read back. Chunks for the reader are built
 * by hand in test/fixtures/images.ts from the PNG specification.
 */
import sharp from "sharp";
import { crc32, deflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { checkPngChunks, isPng, MAX_TEXT_CHUNK, PngFormatError, readPngText, writePngText } from "../../../lib/a1111/images/png-text.ts";
import { LIMITS } from "../../../lib/a1111/schemas/limits.ts";
import { chunkTypes, gradientPng, iTXt, pngChunk, tEXt, withChunks, zTXt } from "../../fixtures/images.ts";

let png: Buffer;
beforeAll(async () => {
  png = await gradientPng(16, 12);
});

/** The chunk of `type` in `file`: its data, and whether its CRC is right. */
function chunk(file: Buffer, type: string) {
  for (let at = 8; at + 12 <= file.length; at += 12 + file.readUInt32BE(at)) {
    if (file.toString("latin1", at + 4, at + 8) !== type) continue;
    const length = file.readUInt32BE(at);
    const data = file.subarray(at + 8, at + 8 + length);
    const crcOk = file.readUInt32BE(at + 8 + length) === crc32(file.subarray(at + 4, at + 8 + length)) >>> 0;
    return { data, crcOk };
  }
  return null;
}

describe("writing, as Pillow's PngInfo.add_text", () => {
  it("writes a Latin-1 value as tEXt: keyword, NUL, Latin-1 bytes", () => {
    const file = writePngText(png, { parameters: "a café\nSteps: 20" });
    const written = chunk(file, "tEXt")!;
    expect(written.crcOk).toBe(true);
    expect(written.data).toEqual(Buffer.concat([Buffer.from("parameters\0", "latin1"), Buffer.from("a café\nSteps: 20", "latin1")]));
    expect(chunk(file, "iTXt")).toBeNull();
  });

  it("writes a value outside Latin-1 as uncompressed iTXt with empty language and translated keyword", () => {
    const file = writePngText(png, { parameters: "a cat 猫 🐱" });
    const written = chunk(file, "iTXt")!;
    expect(written.crcOk).toBe(true);
    expect(written.data).toEqual(Buffer.concat([Buffer.from("parameters\0\0\0\0\0", "latin1"), Buffer.from("a cat 猫 🐱", "utf8")]));
    expect(chunk(file, "tEXt")).toBeNull();
  });

  it("puts the chunks right after IHDR, before the image data, and the file stays decodable", async () => {
    const file = writePngText(png, { parameters: "x", postprocessing: "y" });
    const types = chunkTypes(file);
    expect(types.slice(0, 3)).toEqual(["IHDR", "tEXt", "tEXt"]);
    expect(types.at(-1)).toBe("IEND");
    const meta = await sharp(file).metadata();
    expect([meta.width, meta.height]).toEqual([16, 12]);
    expect((await sharp(file).raw().toBuffer()).equals(await sharp(png).raw().toBuffer())).toBe(true);
  });

  it("round-trips through readPngText", () => {
    const entries = { parameters: "ein Kätzchen, 猫\nSteps: 20, Seed: 1", postprocessing: "Postprocess upscaler: Lanczos" };
    expect(readPngText(writePngText(png, entries))).toEqual(entries);
  });

  it("refuses a file that is not a PNG", () => {
    expect(() => writePngText(Buffer.from("GIF89a"), { a: "b" })).toThrow(PngFormatError);
  });
});

describe("reading", () => {
  it("reads tEXt, zTXt and iTXt (plain and compressed), in file order", () => {
    const file = withChunks(
      png,
      tEXt("parameters", "a cat\nSteps: 20"),
      zTXt("Comment", "compressed ".repeat(20)),
      iTXt("Title", "Kätzchen 猫"),
      iTXt("Description", "deflated 猫 ".repeat(10), true, "de", "Beschreibung"),
    );
    expect(readPngText(file)).toEqual({
      parameters: "a cat\nSteps: 20",
      Comment: "compressed ".repeat(20),
      Title: "Kätzchen 猫",
      Description: "deflated 猫 ".repeat(10),
    });
  });

  // Pillow 9.4's PngImageFile.info, checked by opening the same chunks with Image.open.
  it("keeps the last value of a repeated keyword, as Pillow's info does", () => {
    expect(readPngText(withChunks(png, tEXt("k", "first"), tEXt("k", "second")))).toEqual({ k: "second" });
  });

  it("gives a corrupt zTXt stream an empty value, and skips a corrupt iTXt one, as Pillow does", () => {
    const corrupt = pngChunk("zTXt", Buffer.concat([Buffer.from("bad\0\0", "latin1"), Buffer.from("not zlib")]));
    const corruptI = pngChunk("iTXt", Buffer.concat([Buffer.from("badi\0\x01\0\0\0", "latin1"), Buffer.from("not zlib")]));
    expect(readPngText(withChunks(png, corrupt, corruptI, tEXt("ok", "yes")))).toEqual({ bad: "", ok: "yes" });
  });

  it("reads what a truncated zlib stream holds, as zlib's decompressobj does", () => {
    const full = zTXt("k", "hello world ".repeat(10));
    const stream = full.subarray(8 + 3, full.length - 4);
    const cut = pngChunk("zTXt", Buffer.concat([Buffer.from("k\0\0", "latin1"), stream.subarray(0, 10)]));
    expect(readPngText(withChunks(png, cut))).toEqual({ k: "hello w" });
  });

  it("skips an iTXt whose text is not UTF-8 (Pillow decodes it strictly)", () => {
    const latin = pngChunk("iTXt", Buffer.concat([Buffer.from("k\0\0\0\0\0", "latin1"), Buffer.from([0xff, 0xfe])]));
    expect(readPngText(withChunks(png, latin, tEXt("ok", "yes")))).toEqual({ ok: "yes" });
  });

  it("takes a tEXt or zTXt without NUL as a keyword with an empty value (Pillow's fallback for broken tEXt)", () => {
    expect(readPngText(withChunks(png, pngChunk("tEXt", Buffer.from("lonely", "latin1")), pngChunk("zTXt", Buffer.from("alone", "latin1"))))).toEqual({ lonely: "", alone: "" });
  });

  it("keeps keywords like __proto__ and toString as ordinary entries", () => {
    const text = readPngText(withChunks(png, tEXt("__proto__", "a"), tEXt("toString", "b")));
    expect(Object.keys(text)).toEqual(["__proto__", "toString"]);
    expect(JSON.parse(JSON.stringify(text))).toEqual(JSON.parse('{"__proto__": "a", "toString": "b"}'));
  });

  it("ignores text chunks without a keyword and iTXt without its separators", () => {
    const noKey = pngChunk("tEXt", Buffer.from("\0value", "latin1"));
    const truncated = pngChunk("iTXt", Buffer.from("key\0\0\0no-terminators", "latin1"));
    expect(readPngText(withChunks(png, noKey, truncated))).toEqual({});
  });

  it("a PNG without text chunks has none", () => {
    expect(readPngText(png)).toEqual({});
  });

  it("refuses non-PNG and truncated files", () => {
    expect(isPng(Buffer.from("\x89PNG", "latin1"))).toBe(false);
    expect(() => readPngText(Buffer.from("not a png at all"))).toThrow(PngFormatError);
    // IEND is the last 12 bytes, so cutting 20 cuts into the image data chunk before it.
    expect(() => readPngText(png.subarray(0, png.length - 20))).toThrow(/truncated/);
    expect(() => readPngText(png.subarray(0, png.length >> 1))).toThrow(/truncated/);
    expect(() => readPngText(png.subarray(0, png.length - 3))).toThrow(/truncated/);
  });

  it("reads a PNG that ends after its last chunk without IEND, as sharp decodes it", () => {
    expect(readPngText(withChunks(png, tEXt("a", "b")).subarray(0, -12))).toEqual({ a: "b" });
  });
});

describe("what Pillow refuses to open (A1111: 500 'Invalid encoded image')", () => {
  it("refuses a chunk whose CRC is wrong (Pillow: 'broken PNG file')", () => {
    const file = withChunks(png, tEXt("k", "v"));
    const bad = Buffer.from(file);
    bad[bad.length - 12 - 1] ^= 1;
    expect(() => readPngText(bad)).toThrow(/bad CRC in "tEXt"/);
    expect(() => checkPngChunks(bad)).toThrow(PngFormatError);
  });

  it("refuses a chunk length past the end of the file", () => {
    const bad = Buffer.from(png);
    bad.writeUInt32BE(0x7fffffff, 33);
    expect(() => checkPngChunks(bad)).toThrow(/truncated/);
  });

  it("refuses a zTXt with a compression method other than 0", () => {
    const chunk = pngChunk("zTXt", Buffer.concat([Buffer.from("k\0\x01", "latin1"), deflateSync("x")]));
    expect(() => readPngText(withChunks(png, chunk))).toThrow(/Unknown compression method 1/);
  });

  it("refuses a compressed chunk that inflates past 1 MiB, Pillow's MAX_TEXT_CHUNK, without inflating it all", () => {
    // 8,000,000 × "a" deflates to about 8 KB.
    const bomb = zTXt("parameters", "a".repeat(8_000_000));
    expect(bomb.length).toBeLessThan(10_000);
    const start = performance.now();
    expect(() => readPngText(withChunks(png, bomb))).toThrow(/more than 1048576 bytes .*Decompressed Data Too Large/);
    expect(() => readPngText(withChunks(png, iTXt("k", "b".repeat(2_000_000), true)))).toThrow(/Decompressed Data Too Large/);
    expect(performance.now() - start).toBeLessThan(200);
    // Exactly 1 MiB is still read (Pillow: `unconsumed_tail` is empty).
    expect(readPngText(withChunks(png, zTXt("k", "c".repeat(MAX_TEXT_CHUNK))), 2 * MAX_TEXT_CHUNK).k).toHaveLength(MAX_TEXT_CHUNK);
  });

  it("refuses more text than LIMITS.maxImageTextBytes in all, keys included", () => {
    const half = "d".repeat(LIMITS.maxImageTextBytes / 2);
    expect(() => readPngText(withChunks(png, tEXt("a", half), zTXt("b", half)))).toThrow(`the image's text chunks hold more than ${LIMITS.maxImageTextBytes} bytes`);
    expect(Object.keys(readPngText(withChunks(png, tEXt("a", half.slice(1)), zTXt("b", half.slice(1)))))).toEqual(["a", "b"]);
  });
});
