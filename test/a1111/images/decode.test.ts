/**
 * Client images (A1111 `decode_base64_to_image`, docs/a1111-semantics.md §8): raw base64 or a data: URI; anything else is a
 * 422 at the field's location (Serena's answer where A1111 gives 500 "Invalid encoded image").
 */
import sharp from "sharp";
import { deflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { RequestValidationError } from "../../../lib/a1111/errors.ts";
import {
  base64ImageBytes,
  clientImage,
  decodeClientImage,
  decodeImage,
  imagePixels,
  readImageHeader,
  sniffImageFormat,
} from "../../../lib/a1111/images/decode.ts";
import { LIMITS } from "../../../lib/a1111/schemas/limits.ts";
import { dataUri, gradientJpeg, gradientPixels, gradientPng, pngChunk } from "../../fixtures/images.ts";

let png: Buffer;
beforeAll(async () => {
  png = await gradientPng(20, 10);
});

function rejection(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RequestValidationError);
    return (error as RequestValidationError).issues[0]!;
  }
  throw new Error("expected a rejection");
}

async function asyncRejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RequestValidationError);
  return (error as RequestValidationError).issues[0]!;
}

/** A greyscale PNG claiming `width`×`height` with one row of data: enough for a metadata read, cheap to build. */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(Buffer.alloc(width + 1))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("base64ImageBytes", () => {
  it("accepts raw base64, data: URIs, whitespace and line breaks", () => {
    const b64 = png.toString("base64");
    expect(base64ImageBytes(b64, ["image"])).toEqual(png);
    expect(base64ImageBytes(dataUri(png), ["image"])).toEqual(png);
    expect(base64ImageBytes(`\n ${b64.slice(0, 40)}\n${b64.slice(40)} \n`, ["image"])).toEqual(png);
  });

  it("accepts URL-safe base64", () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);
    expect(base64ImageBytes(bytes.toString("base64url"), ["x"])).toEqual(bytes);
  });

  it.each([
    ["an http(s) URL", "https://example.com/a.png", "image URLs are not accepted"],
    ["a data: URI without base64", "data:image/png,rawbytes", "expected data:image/<type>;base64,<data>"],
    ["a data: URI of another type", "data:text/plain;base64,aGk=", "expected data:image/<type>;base64,<data>"],
    ["an empty string", "", "not base64"],
    ["characters outside base64", "abc$", "not base64"],
    ["an impossible length", "abcde", "not base64"],
  ])("refuses %s at the given location", (_name, value, message) => {
    const issue = rejection(() => base64ImageBytes(value, ["init_images", 2]));
    expect(issue.loc).toEqual(["body", "init_images", 2]);
    expect(issue.msg).toContain(message);
  });
});

describe("decodeImage", () => {
  it("reads the size and format of PNG and JPEG", async () => {
    expect(await decodeImage(png.toString("base64"), ["image"])).toMatchObject({ width: 20, height: 10, format: "png" });
    expect(await decodeImage(dataUri(await gradientJpeg(7, 5), "image/jpeg"), ["image"])).toMatchObject({ width: 7, height: 5, format: "jpeg" });
  });

  it("refuses bytes that are not an image", async () => {
    const issue = await asyncRejection(decodeImage(Buffer.from("hello world").toString("base64"), ["mask"]));
    expect(issue).toMatchObject({ loc: ["body", "mask"], type: "value_error" });
    expect(issue.msg).toContain("Invalid encoded image");
  });

  it("refuses an image over the pixel limit from its header, without decoding it", async () => {
    const side = Math.floor(Math.sqrt(LIMITS.maxInputPixels)) + 1;
    const issue = await asyncRejection(decodeImage(pngHeader(side, side).toString("base64"), ["image"]));
    expect(issue.msg).toBe(`image is ${side}x${side}; at most ${LIMITS.maxInputPixels} pixels are accepted`);
  });

  it("clientImage applies EXIF orientation (A1111 EXIF-transposes init images, §8)", async () => {
    // Orientation 6: the stored 20×10 image is shown rotated 90° clockwise, 10×20.
    const rotated = await sharp(gradientPixels(20, 10), { raw: { width: 20, height: 10, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const decoded = await decodeImage(rotated.toString("base64"), ["image"]);
    const { info } = await clientImage(decoded).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([10, 20]);
  });
});

/** A small ISO-BMFF `ftyp` box with `major` and `compatible` brands, followed by padding. */
function ftyp(major: string, ...compatible: string[]): Buffer {
  const box = Buffer.alloc(16 + 4 * compatible.length);
  box.writeUInt32BE(box.length, 0);
  box.write(`ftyp${major}`, 4, "latin1");
  compatible.forEach((brand, i) => box.write(brand, 16 + 4 * i, "latin1"));
  return Buffer.concat([box, Buffer.alloc(32)]);
}

const tiny = (format: "gif" | "tiff" | "webp" | "avif") =>
  sharp({ create: { width: 6, height: 4, channels: 3, background: "#3366cc" } })
    .toFormat(format)
    .toBuffer();

describe("formats, recognised by their magic bytes before sharp sees the data", () => {
  it.each([
    ["PNG", Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), "png"],
    ["JPEG", Buffer.from([0xff, 0xd8, 0xff, 0xe0]), "jpeg"],
    ["GIF87a", Buffer.from("GIF87a", "latin1"), "gif"],
    ["GIF89a", Buffer.from("GIF89a", "latin1"), "gif"],
    ["WebP", Buffer.from("RIFF\0\0\0\0WEBPVP8 ", "latin1"), "webp"],
    ["TIFF (II)", Buffer.from("II*\0", "latin1"), "tiff"],
    ["TIFF (MM)", Buffer.from("MM\0*", "latin1"), "tiff"],
    ["AVIF", ftyp("avif", "mif1", "miaf"), "avif"],
    ["an AVIF sequence", ftyp("avis"), "avif"],
    ["AVIF as a compatible brand", ftyp("mif1", "avif"), "avif"],
  ])("%s", (_name, bytes, format) => {
    expect(sniffImageFormat(bytes)).toBe(format);
  });

  it.each([
    ["SVG", Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4096" height="4096"/>')],
    ["SVG with an XML declaration", Buffer.from('<?xml version="1.0"?><svg/>')],
    ["PDF", Buffer.from("%PDF-1.7\n")],
    ["HEIC", ftyp("heic", "mif1", "heic")],
    ["BMP", Buffer.from("BM\0\0\0\0\0\0\0\0\x36\0\0\0", "latin1")],
    ["ICO", Buffer.from([0, 0, 1, 0, 1, 0])],
    ["BigTIFF", Buffer.from("II+\0", "latin1")],
    ["a truncated signature", Buffer.from("\x89PN", "latin1")],
    ["nothing", Buffer.alloc(0)],
  ])("%s is not decoded", (_name, bytes) => {
    expect(sniffImageFormat(bytes)).toBeNull();
  });

  it("refuses an SVG with a 422 before sharp renders it (librsvg would spend minutes on a 235-byte filter)", async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="4096" height="4096"><filter id="f"><feTurbulence baseFrequency=".01" numOctaves="10"/></filter><rect width="100%" height="100%" filter="url(#f)"/></svg>',
    );
    const start = performance.now();
    const issue = await asyncRejection(decodeImage(svg.toString("base64"), ["init_images", 0]));
    // librsvg would take minutes; a refusal by signature takes microseconds, so a second is a wide margin on a busy runner.
    expect(performance.now() - start).toBeLessThan(1000);
    expect(issue).toMatchObject({ loc: ["body", "init_images", 0], msg: "Invalid encoded image: not a PNG, JPEG, WebP, GIF, TIFF or AVIF file" });
  });

  it.each(["gif", "tiff", "webp", "avif"] as const)("decodes a %s", async (format) => {
    const file = await tiny(format);
    expect(await decodeImage(file.toString("base64"), ["image"])).toMatchObject({ width: 6, height: 4, format });
    const pixels = await decodeClientImage(file.toString("base64"), ["image"], "#ffffff");
    expect([pixels.width, pixels.height, pixels.data.length]).toEqual([6, 4, 6 * 4 * 3]);
  });

  it("refuses a file whose magic bytes and content disagree (sharp reads it as another format)", async () => {
    // GIF magic, then a PNG: sharp's loaders sniff the content themselves.
    const mixed = Buffer.concat([Buffer.from("GIF89a", "latin1"), png]);
    const issue = await asyncRejection(decodeImage(mixed.toString("base64"), ["image"]));
    expect(issue.loc).toEqual(["body", "image"]);
  });
});

describe("broken files are a 422 naming the field, on every decode path", () => {
  const broken = () => {
    const crc = Buffer.from(png);
    crc[30] ^= 1; // inside IHDR's data
    const length = Buffer.from(png);
    length.writeUInt32BE(0x7ffffff0, 33); // the chunk after IHDR
    return [
      ["cut in half", png.subarray(0, png.length >> 1)],
      ["cut inside the last chunk", png.subarray(0, png.length - 3)],
      ["a bad CRC", crc],
      ["a bad chunk length", length],
      ["the signature only", png.subarray(0, 8)],
    ] as const;
  };

  it("decodeImage (img2img checks, png-info, async jobs)", async () => {
    for (const [what, file] of broken()) {
      const issue = await asyncRejection(decodeImage(file.toString("base64"), ["init_images", 1]));
      expect(issue.loc, what).toEqual(["body", "init_images", 1]);
      expect(issue.msg, what).toMatch(/^Invalid encoded image: /);
    }
  });

  it("decodeClientImage (the generation edge) and imagePixels (Extras)", async () => {
    for (const [what, file] of broken()) {
      expect((await asyncRejection(decodeClientImage(file.toString("base64"), ["init_images", 0], "#000000"))).loc, what).toEqual(["body", "init_images", 0]);
    }
    // A PNG whose chunks are sound but whose image data is cut: the header reads, the pixels do not.
    const idat = png.indexOf("IDAT");
    const length = png.readUInt32BE(idat - 4);
    const shortData = Buffer.concat([png.subarray(0, idat - 4), pngChunk("IDAT", png.subarray(idat + 4, idat + 4 + (length >> 1))), pngChunk("IEND", Buffer.alloc(0))]);
    const header = await readImageHeader(shortData.toString("base64"), ["image"]);
    expect(header).toMatchObject({ width: 20, height: 10 });
    expect((await asyncRejection(imagePixels(header, ["image"]))).msg).toMatch(/^Invalid encoded image: /);
  });

  it("a JPEG cut short", async () => {
    const jpeg = await gradientJpeg(32, 32);
    const issue = await asyncRejection(decodeImage(jpeg.subarray(0, jpeg.length >> 1).toString("base64"), ["mask"]));
    expect(issue.loc).toEqual(["body", "mask"]);
  });
});

describe("the size once EXIF orientation is applied", () => {
  it("swaps width and height for orientations 5–8", async () => {
    const rotated = await sharp(gradientPixels(20, 10), { raw: { width: 20, height: 10, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const header = await readImageHeader(rotated.toString("base64"), ["image"]);
    expect(header).toMatchObject({ width: 20, height: 10, oriented: { width: 10, height: 20 } });
  });
});
