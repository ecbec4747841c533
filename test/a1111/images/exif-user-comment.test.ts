/**
 * The infotext in EXIF UserComment, as A1111 writes it with piexif (`UserComment.dump(text, encoding="unicode")`:
 * "UNICODE\0" then UTF-16-BE, docs/a1111-semantics.md §2.5) and as it reads it back, including what other writers produce.
 */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { exifWithUserComment, insertJpegExif, readUserComment } from "../../../lib/a1111/images/exif-user-comment.ts";
import { gradientJpeg, gradientPixels, jpegWithUserComment } from "../../fixtures/images.ts";

/** A little-endian ("II") TIFF block with IFD0 → Exif IFD → UserComment, as cameras and libexif write it. */
function littleEndianExif(comment: Buffer): Buffer {
  const out = Buffer.alloc(8 + 18 + 18 + comment.length);
  out.write("II", 0, "latin1");
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(1, 8);
  out.writeUInt16LE(0x8769, 10);
  out.writeUInt16LE(4, 12);
  out.writeUInt32LE(1, 14);
  out.writeUInt32LE(26, 18);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(0x9286, 28);
  out.writeUInt16LE(7, 30);
  out.writeUInt32LE(comment.length, 32);
  out.writeUInt32LE(44, 36);
  comment.copy(out, 44);
  return out;
}

describe("writing", () => {
  it("encodes the comment as 'UNICODE\\0' followed by UTF-16-BE", () => {
    const tiff = exifWithUserComment("a 猫");
    const expected = Buffer.concat([Buffer.from("UNICODE\0", "latin1"), Buffer.from([0x00, 0x61, 0x00, 0x20, 0x73, 0x2b])]);
    expect(tiff.subarray(tiff.length - expected.length)).toEqual(expected);
    expect(tiff.toString("latin1", 0, 4)).toBe("MM\0*");
  });

  it("gives a JPEG that sharp decodes, with the comment in its EXIF", async () => {
    const text = "a cat, 猫 🐱\nNegative prompt: dog\nSteps: 20, Seed: 1";
    const jpeg = await jpegWithUserComment(text, 40, 30);
    const meta = await sharp(jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 40, 30]);
    expect(readUserComment(meta.exif!)).toBe(text);
  });

  it("inserts the APP1 segment right after SOI", async () => {
    const jpeg = insertJpegExif(await gradientJpeg(8, 8), exifWithUserComment("x"));
    expect([...jpeg.subarray(0, 4)]).toEqual([0xff, 0xd8, 0xff, 0xe1]);
    expect(jpeg.toString("latin1", 6, 12)).toBe("Exif\0\0");
  });
});

describe("reading", () => {
  it("reads the TIFF block with or without the 'Exif\\0\\0' prefix", () => {
    const tiff = exifWithUserComment("hello");
    expect(readUserComment(tiff)).toBe("hello");
    expect(readUserComment(Buffer.concat([Buffer.from("Exif\0\0", "latin1"), tiff]))).toBe("hello");
  });

  it("reads little-endian TIFF with an ASCII comment", () => {
    const comment = Buffer.concat([Buffer.from("ASCII\0\0\0", "latin1"), Buffer.from("plain text\0\0", "latin1")]);
    expect(readUserComment(littleEndianExif(comment))).toBe("plain text");
  });

  it("honours a little-endian byte-order mark in a UNICODE comment", () => {
    const comment = Buffer.concat([Buffer.from("UNICODE\0", "latin1"), Buffer.from([0xff, 0xfe]), Buffer.from("猫 le", "utf16le")]);
    expect(readUserComment(littleEndianExif(comment))).toBe("猫 le");
  });

  it("reads the ASCII comment libvips writes for WebP", async () => {
    const webp = await sharp(gradientPixels(8, 8), { raw: { width: 8, height: 8, channels: 3 } }).webp().withExif({ IFD2: { UserComment: "Steps: 20, Seed: 4" } }).toBuffer();
    expect(readUserComment((await sharp(webp).metadata()).exif!)).toBe("Steps: 20, Seed: 4");
  });

  it("answers null for EXIF without a usable UserComment", () => {
    expect(readUserComment(Buffer.alloc(4))).toBeNull();
    expect(readUserComment(littleEndianExif(Buffer.from("UNICODE\0", "latin1")))).toBeNull();
    const noExifIfd = Buffer.from("MM\0*\0\0\0\x08\0\0\0\0\0\0", "latin1");
    expect(readUserComment(noExifIfd)).toBeNull();
    const pointingPastTheEnd = Buffer.from("MM\0*\0\0\xff\xff", "latin1");
    expect(readUserComment(pointingPastTheEnd)).toBeNull();
  });
});
