/**
 * PNG text chunks as Pillow reads and writes them (docs/a1111-semantics.md §2.5, §4.2): tEXt for Latin-1 values, an
 * uncompressed iTXt otherwise; tEXt, zTXt and iTXt (compressed or not) read back. Chunks for the reader are built
 * by hand in test/fixtures/images.ts from the PNG specification.
 */
import sharp from "sharp";
import { crc32 } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { isPng, PngFormatError, readPngText, writePngText } from "../../../lib/a1111/images/png-text.ts";
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

  it("keeps the first value of a repeated keyword, as Pillow does", () => {
    expect(readPngText(withChunks(png, tEXt("k", "first"), tEXt("k", "second")))).toEqual({ k: "first" });
  });

  it("skips a corrupt compressed chunk instead of failing the image", () => {
    const corrupt = pngChunk("zTXt", Buffer.concat([Buffer.from("bad\0\0", "latin1"), Buffer.from("not zlib")]));
    expect(readPngText(withChunks(png, corrupt, tEXt("ok", "yes")))).toEqual({ ok: "yes" });
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
  });
});
