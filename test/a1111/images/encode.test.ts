/**
 * Output files as A1111 writes them (docs/a1111-semantics.md §2.5, §4.2): PNG with text chunks; JPEG flattened to RGB with the
 * infotext in EXIF UserComment; WebP with it in EXIF as well.
 */
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { encodeImage, type EncodeOptions } from "../../../lib/a1111/images/encode.ts";
import { readUserComment } from "../../../lib/a1111/images/exif-user-comment.ts";
import { readPngText } from "../../../lib/a1111/images/png-text.ts";
import { gradientPixels } from "../../fixtures/images.ts";

const rgb = { data: gradientPixels(24, 16), width: 24, height: 16, channels: 3 as const };
const options = (o: Partial<EncodeOptions>): EncodeOptions => ({ format: "png", quality: 80, webpLossless: false, text: {}, ...o });

describe("PNG", () => {
  it("carries every text entry and the exact pixels", async () => {
    const file = await encodeImage(rgb, options({ text: { parameters: "a cat\nSteps: 20", extra: "x" } }));
    expect(readPngText(file)).toEqual({ parameters: "a cat\nSteps: 20", extra: "x" });
    expect((await sharp(file).raw().toBuffer()).equals(rgb.data)).toBe(true);
  });

  it("without text has no text chunks", async () => {
    expect(readPngText(await encodeImage(rgb, options({})))).toEqual({});
  });

  it("keeps an alpha channel", async () => {
    const rgba = { data: Buffer.alloc(4 * 4 * 4, 128), width: 4, height: 4, channels: 4 as const };
    expect((await sharp(await encodeImage(rgba, options({}))).metadata()).channels).toBe(4);
  });
});

describe("JPEG", () => {
  it("holds the infotext in a UTF-16 EXIF UserComment", async () => {
    const text = "ein Kätzchen 猫\nSteps: 20, Seed: 3";
    const file = await encodeImage(rgb, options({ format: "jpg", text: { parameters: text } }));
    const meta = await sharp(file).metadata();
    expect(meta.format).toBe("jpeg");
    expect(readUserComment(meta.exif!)).toBe(text);
  });

  it("has no EXIF without an infotext, and follows jpeg_quality", async () => {
    const low = await encodeImage(rgb, options({ format: "jpeg", quality: 10 }));
    const high = await encodeImage(rgb, options({ format: "jpeg", quality: 100 }));
    expect((await sharp(low).metadata()).exif).toBeUndefined();
    expect(high.length).toBeGreaterThan(low.length);
  });

  it("flattens RGBA onto white, as A1111 converts RGBA to RGB", async () => {
    const transparent = { data: Buffer.alloc(8 * 8 * 4, 0), width: 8, height: 8, channels: 4 as const };
    const { data, info } = await sharp(await encodeImage(transparent, options({ format: "jpg" }))).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    expect(Math.min(...data)).toBeGreaterThan(250);
  });
});

describe("WebP", () => {
  it("holds the infotext in EXIF, non-ASCII escaped as \\uXXXX", async () => {
    const file = await encodeImage(rgb, options({ format: "webp", text: { parameters: "Kätzchen\nSteps: 20" } }));
    const meta = await sharp(file).metadata();
    expect(meta.format).toBe("webp");
    expect(readUserComment(meta.exif!)).toBe("K\\u00e4tzchen\nSteps: 20");
  });

  it("is lossless when webp_lossless says so", async () => {
    const file = await encodeImage(rgb, options({ format: "webp", webpLossless: true }));
    expect((await sharp(file).raw().toBuffer()).equals(rgb.data)).toBe(true);
    expect((await sharp(file).metadata()).exif).toBeUndefined();
  });
});
