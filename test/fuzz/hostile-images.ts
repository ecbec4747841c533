/**
 * Image files a client can send, built by code once per test file: small valid images of every accepted format,
 * and broken or hostile ones — PNGs cut short, with a bad CRC or chunk length, with text chunks that inflate to
 * megabytes, with headers declaring gigapixels; SVG and PDF; BMP, ICO and HEIC, which Serena does not decode;
 * infotexts A1111's parser chokes on. Then the ways to write them into a JSON field: base64, data URIs of odd types,
 * URL-safe base64, whitespace, broken base64, URLs.
 */
import { deflateSync } from "node:zlib";
import sharp from "sharp";
import fc from "fast-check";
import { exifWithUserComment, insertJpegExif } from "../../lib/a1111/images/exif-user-comment.ts";
import { gradientPng, iTXt, pngChunk, tEXt, withChunks, zTXt } from "../fixtures/images.ts";

export interface ImageFile {
  readonly name: string;
  readonly bytes: Buffer;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG whose IHDR declares `width`×`height` with one row of data: enough for a header read, cheap to build. */
function declaredPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([PNG_SIGNATURE, pngChunk("IHDR", ihdr), pngChunk("IDAT", deflateSync(Buffer.alloc(Math.min(width, 65_536) + 1))), pngChunk("IEND", Buffer.alloc(0))]);
}

/** A 1×1 24-bit BMP (BITMAPINFOHEADER), which Pillow reads and sharp does not. */
function bmp(): Buffer {
  const file = Buffer.alloc(58);
  file.write("BM", 0, "latin1");
  file.writeUInt32LE(58, 2);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(1, 18);
  file.writeInt32LE(1, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  return file;
}

const svg = (extra = "") =>
  Buffer.from(
    `${extra}<svg xmlns="http://www.w3.org/2000/svg" width="4096" height="4096"><filter id="f"><feTurbulence baseFrequency=".01" numOctaves="10"/></filter><rect width="100%" height="100%" filter="url(#f)"/></svg>`,
  );

function withBadCrc(png: Buffer): Buffer {
  const bad = Buffer.from(png);
  bad[30] ^= 0x01;
  return bad;
}

function withBadLength(png: Buffer): Buffer {
  const bad = Buffer.from(png);
  bad.writeUInt32BE(0x7ffffff0, 33);
  return bad;
}

/** A PNG with an eXIf chunk holding `text` as its UserComment (png-info reads it like a JPEG's). */
function pngWithExif(png: Buffer, text: string): Buffer {
  return withChunks(png, pngChunk("eXIf", exifWithUserComment(text)));
}

const ftyp = (major: string, ...brands: string[]) => {
  const box = Buffer.alloc(16 + 4 * brands.length);
  box.writeUInt32BE(box.length, 0);
  box.write(`ftyp${major}`, 4, "latin1");
  brands.forEach((b, i) => box.write(b, 16 + 4 * i, "latin1"));
  return Buffer.concat([box, Buffer.from("garbage after the box")]);
};

/** Builds the pool once (a few hundred milliseconds, mostly sharp encoders). */
export async function buildImagePool(): Promise<ImageFile[]> {
  const small = await gradientPng(12, 8);
  const create = (format: "jpeg" | "gif" | "tiff" | "webp" | "avif", width = 9, height = 7) =>
    sharp({ create: { width, height, channels: 3, background: "#2a6f97" } })
      .toFormat(format)
      .toBuffer();
  const jpeg = await create("jpeg", 16, 16);
  const rotated = await sharp(await gradientPng(10, 6)).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const infotext = "a cat, (fluffy:1.2)\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 12x8";
  const hostileInfotexts = ["(a:.)\nSteps: 1, Seed: 2, Size: 8x8", `${"(a".repeat(30_000)}\nSteps: 1, Seed: 2, Size: 8x8`, "a".repeat(20_000), `x\nSteps: 1, K: "${"\\x".repeat(30_000)}`];
  const images: ImageFile[] = [
    { name: "png", bytes: small },
    { name: "png 1x1", bytes: await gradientPng(1, 1) },
    { name: "png 256x192", bytes: await gradientPng(256, 192) },
    { name: "png with infotext", bytes: withChunks(small, tEXt("parameters", infotext), iTXt("Title", "猫 🐱")) },
    { name: "png without IEND", bytes: small.subarray(0, small.length - 12) },
    { name: "png cut in half", bytes: small.subarray(0, small.length >> 1) },
    { name: "png cut by 3 bytes", bytes: small.subarray(0, small.length - 3) },
    { name: "png signature only", bytes: PNG_SIGNATURE },
    { name: "png bad CRC", bytes: withBadCrc(small) },
    { name: "png bad chunk length", bytes: withBadLength(small) },
    { name: "png zTXt bomb 8M", bytes: withChunks(small, zTXt("parameters", "a".repeat(8_000_000))) },
    { name: "png iTXt bomb 2M", bytes: withChunks(small, iTXt("Description", "b".repeat(2_000_000), true)) },
    { name: "png text past the total", bytes: withChunks(small, zTXt("a", "c".repeat(700_000)), zTXt("b", "d".repeat(700_000))) },
    { name: "png 5,000 text chunks", bytes: withChunks(small, ...Array.from({ length: 5000 }, (_, i) => tEXt(`k${i}`, "v"))) },
    { name: "png zTXt method 1", bytes: withChunks(small, pngChunk("zTXt", Buffer.concat([Buffer.from("k\0\x01", "latin1"), deflateSync("x")]))) },
    ...hostileInfotexts.map((text, i) => ({ name: `png hostile infotext ${i}`, bytes: withChunks(small, zTXt("parameters", text)) })),
    { name: "png exif infotext", bytes: pngWithExif(small, "(a:.)\nSteps: 1, Seed: 2, Size: 8x8") },
    { name: "png declares 100000x100000", bytes: declaredPng(100_000, 100_000) },
    { name: "png declares 4097x4096", bytes: declaredPng(4097, 4096) },
    { name: "png declares 65535x1 (cut)", bytes: declaredPng(65_535, 2).subarray(0, 60) },
    { name: "jpeg", bytes: jpeg },
    { name: "jpeg cut", bytes: jpeg.subarray(0, jpeg.length >> 1) },
    { name: "jpeg rotated", bytes: rotated },
    { name: "jpeg infotext", bytes: insertJpegExif(jpeg, exifWithUserComment("(b:..)\nSteps: 1, Seed: 2, Size: 8x8")) },
    { name: "gif", bytes: await create("gif") },
    { name: "tiff", bytes: await create("tiff") },
    { name: "tiff header only", bytes: Buffer.from("II*\0\x08\0\0\0\xff\xff", "latin1") },
    { name: "webp", bytes: await create("webp") },
    { name: "webp garbage", bytes: Buffer.from("RIFF\x10\0\0\0WEBPVP8 garbage!", "latin1") },
    { name: "avif", bytes: await create("avif", 8, 8) },
    { name: "heic", bytes: ftyp("heic", "mif1", "heic") },
    { name: "gif magic png body", bytes: Buffer.concat([Buffer.from("GIF89a", "latin1"), small]) },
    { name: "svg", bytes: svg() },
    { name: "svg xml", bytes: svg('<?xml version="1.0"?>') },
    { name: "pdf", bytes: Buffer.from("%PDF-1.7\n1 0 obj<<>>endobj\n") },
    { name: "bmp", bytes: bmp() },
    { name: "ico", bytes: Buffer.from([0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 32, 0]) },
    { name: "random bytes", bytes: Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 2654435761) >>> 24)) },
    { name: "empty", bytes: Buffer.alloc(0) },
    { name: "png IEND only", bytes: Buffer.concat([PNG_SIGNATURE, pngChunk("IEND", Buffer.alloc(0))]) },
  ];
  return images;
}

/** The ways a client writes image bytes into a JSON string. */
const ENCODINGS: ReadonlyArray<[string, (bytes: Buffer) => string]> = [
  ["base64", (b) => b.toString("base64")],
  ["data:image/png", (b) => `data:image/png;base64,${b.toString("base64")}`],
  ["data:image/svg+xml", (b) => `data:image/svg+xml;base64,${b.toString("base64")}`],
  ["data:text/plain", (b) => `data:text/plain;base64,${b.toString("base64")}`],
  ["data:IMAGE/PNG;charset", (b) => `data:IMAGE/PNG;charset=utf-8;base64,${b.toString("base64")}`],
  ["data: without base64", (b) => `data:image/png,${b.toString("latin1")}`],
  ["base64url", (b) => b.toString("base64url")],
  ["base64 with whitespace", (b) => ` \n${b.toString("base64").replace(/(.{7})/g, "$1\n ")}\t`],
  ["base64 without padding", (b) => b.toString("base64").replace(/=+$/, "")],
  ["base64 with a bad character", (b) => `${b.toString("base64").slice(0, 8)}!${b.toString("base64").slice(8)}`],
];

export const BAD_IMAGE_STRINGS = ["", "!!!!", "abcde", "====", "a===", "data:", "data:,", "data:image/png;base64,", "http://127.0.0.1:9/x.png", "HTTPS://example.invalid/a.png", "file:///etc/passwd", "\u0000", "𝕏𝕏𝕏𝕏"];

/** An image field's value: a pool image in one of the encodings, or a string that is no image at all. */
export function imageValue(pool: readonly ImageFile[]): fc.Arbitrary<string> {
  return fc.oneof(
    // Mostly plain base64 and PNG data URIs, so that the bytes reach the decoders.
    { arbitrary: fc.tuple(fc.constantFrom(...pool), fc.constantFrom(...ENCODINGS.slice(0, 2))).map(([image, [, encode]]) => encode(image.bytes)), weight: 6 },
    { arbitrary: fc.tuple(fc.constantFrom(...pool), fc.constantFrom(...ENCODINGS)).map(([image, [, encode]]) => encode(image.bytes)), weight: 3 },
    { arbitrary: fc.constantFrom(...BAD_IMAGE_STRINGS), weight: 1 },
  );
}
