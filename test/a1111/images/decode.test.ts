/**
 * Client images (A1111 `decode_base64_to_image`, docs/a1111-semantics.md §8): raw base64 or a data: URI; anything else is a
 * 422 at the field's location (Serena's answer where A1111 gives 500 "Invalid encoded image").
 */
import sharp from "sharp";
import { deflateSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { RequestValidationError } from "../../../lib/a1111/errors.ts";
import { base64ImageBytes, clientImage, decodeImage } from "../../../lib/a1111/images/decode.ts";
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
