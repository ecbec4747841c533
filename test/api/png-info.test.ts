/** /sdapi/v1/png-info (docs/a1111-semantics.md §4.3, §4.4): the infotext of PNGs and JPEGs, parsed as A1111 parses it. */
import { describe, expect, it } from "vitest";
import { PNGInfoResponse } from "../../lib/a1111/schemas/images.ts";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { HTTPErrorBody } from "../../lib/a1111/schemas/errors.ts";
import { LIMITS } from "../../lib/a1111/schemas/limits.ts";
import { base64, dataUri, gradientPng, jpegWithUserComment, tEXt, withChunks, zTXt } from "../fixtures/images.ts";
import { ciServices } from "../fixtures/services.ts";

const client = apiClient(ciServices());

async function pngInfo(image: string) {
  const reply = await client.post("/sdapi/v1/png-info", { image });
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
  return PNGInfoResponse.parse(reply.json());
}

/** The defaults parse_generation_parameters adds when a key is absent (docs/a1111-semantics.md §4.3 table). */
const PARSE_DEFAULTS = {
  "Clip skip": "1",
  "Hires resize-1": 0,
  "Hires resize-2": 0,
  "Hires sampler": "Use same sampler",
  "Hires schedule type": "Use same scheduler",
  "Hires checkpoint": "Use same checkpoint",
  "Hires prompt": "",
  "Hires negative prompt": "",
  "Mask mode": "Inpaint masked",
  "Masked content": "original",
  "Inpaint area": "Whole picture",
  "Masked area padding": 32,
  RNG: "GPU",
  "Schedule type": "Automatic",
  "Schedule max sigma": 0,
  "Schedule min sigma": 0,
  "Schedule rho": 0,
  "VAE Encoder": "Full",
  "VAE Decoder": "Full",
  "FP8 weight": "Disable",
  "Refiner switch by sampling steps": false,
};

describe("our own output round-trips (§11 item 11)", () => {
  it("parameters.Seed is the seed's string and info is the image's infotext", async () => {
    const gen = await client.post("/sdapi/v1/txt2img", { prompt: "a cat", negative_prompt: "a dog", seed: 1234, width: 64, height: 64 });
    const { images, info } = gen.json() as { images: string[]; info: string };
    const infotext = (JSON.parse(info) as { infotexts: string[] }).infotexts[0];
    const result = await pngInfo(images[0]!);
    expect(result.info).toBe(infotext);
    // For an A1111 PNG, items is usually {} (§4.4).
    expect(result.items).toEqual({});
    expect(result.parameters).toMatchObject({
      Prompt: "a cat",
      "Negative prompt": "a dog",
      Seed: "1234",
      Steps: "50",
      Sampler: "Euler",
      "CFG scale": "7.0",
      "Size-1": "64",
      "Size-2": "64",
    });
  });

  it("round-trips a prompt outside Latin-1, stored in an iTXt chunk (§2.5)", async () => {
    const gen = await client.post("/sdapi/v1/txt2img", { prompt: "一只猫, 🐱", seed: 8, width: 64, height: 64 });
    const result = await pngInfo((gen.json() as { images: string[] }).images[0]!);
    expect(result.parameters).toMatchObject({ Prompt: "一只猫, 🐱", Seed: "8" });
  });

  it("round-trips a JPEG made with override_settings samples_format jpg through its EXIF UserComment", async () => {
    const gen = await client.post("/sdapi/v1/txt2img", { prompt: "ein Kätzchen", seed: 99, width: 64, height: 64, override_settings: { samples_format: "jpg" } });
    const result = await pngInfo((gen.json() as { images: string[] }).images[0]!);
    expect(result.parameters).toMatchObject({ Prompt: "ein Kätzchen", Seed: "99" });
  });
});

describe("an image with no metadata (§4.4)", () => {
  it("has info '' and the parser's defaults", async () => {
    const result = await pngInfo(base64(await gradientPng(16, 16)));
    expect(result.info).toBe("");
    expect(result.items).toEqual({});
    expect(result.parameters).toEqual({ Prompt: "", "Negative prompt": "", ...PARSE_DEFAULTS });
  });
});

describe("a JPEG with an EXIF UserComment (§4.2)", () => {
  it("reads the UTF-16 UserComment as the infotext", async () => {
    const text = "a café, 猫\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7.0, Seed: 5, Size: 512x768";
    const result = await pngInfo(base64(await jpegWithUserComment(text)));
    expect(result.info).toBe(text);
    expect(result.parameters).toMatchObject({
      Prompt: "a café, 猫",
      "Negative prompt": "blurry",
      Steps: "20",
      Sampler: "Euler a",
      Seed: "5",
      "Size-1": "512",
      "Size-2": "768",
    });
  });
});

describe("PNG text chunks", () => {
  it("returns chunks other than parameters as items", async () => {
    const png = withChunks(await gradientPng(8, 8), tEXt("parameters", "a cat\nSteps: 20, Seed: 3, Size: 8x8"), tEXt("Software", "GIMP"));
    const result = await pngInfo(base64(png));
    expect(result.info).toBe("a cat\nSteps: 20, Seed: 3, Size: 8x8");
    expect(result.items).toEqual({ Software: "GIMP" });
    expect(result.parameters).toMatchObject({ Seed: "3" });
  });

  it("accepts a data: URI and surrounding whitespace (the value is stripped, §4.4)", async () => {
    const png = withChunks(await gradientPng(8, 8), tEXt("parameters", "x\nSteps: 1, Seed: 2, Size: 8x8"));
    expect((await pngInfo(`  ${dataUri(png)}\n`)).parameters).toMatchObject({ Seed: "2" });
  });
});

describe("bad input", () => {
  it.each([
    ["not base64", "!!!"],
    ["not an image", Buffer.from("just some text").toString("base64")],
    ["empty", ""],
  ])("%s is a 422 naming image (A1111: 500 'Invalid encoded image')", async (_name, image) => {
    const reply = await client.post("/sdapi/v1/png-info", { image });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "image"]);
  });

  it("image: null is refused like pydantic's non-Optional str", async () => {
    const reply = await client.post("/sdapi/v1/png-info", { image: null });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0]).toMatchObject({ loc: ["body", "image"], msg: "none is not an allowed value" });
  });
});

describe("hostile images are a 422 naming image, quickly, never a 500", () => {
  const expect422 = async (image: string, msg: RegExp) => {
    const start = performance.now();
    const reply = await client.post("/sdapi/v1/png-info", { image });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "image"]);
    expect(reply.json().detail[0].msg).toMatch(msg);
    expect(performance.now() - start).toBeLessThan(1000);
  };

  it("a zTXt parameters chunk that inflates to 8,000,000 × 'a' (Pillow: Decompressed Data Too Large)", async () => {
    const bomb = withChunks(await gradientPng(8, 8), zTXt("parameters", "a".repeat(8_000_000)));
    expect(bomb.length).toBeLessThan(10_000);
    await expect422(base64(bomb), /Decompressed Data Too Large/);
  });

  it("a PNG cut in half, with a bad CRC, or with a chunk length past its end", async () => {
    const png = withChunks(await gradientPng(32, 32), tEXt("parameters", "a\nSteps: 1, Seed: 2, Size: 32x32"));
    const crc = Buffer.from(png);
    crc[40] ^= 1;
    const length = Buffer.from(png);
    length.writeUInt32BE(0x7ffffff0, 33);
    await expect422(base64(png.subarray(0, png.length >> 1)), /^Invalid encoded image: /);
    await expect422(base64(crc), /bad CRC|checksum/);
    await expect422(base64(length), /^Invalid encoded image: /);
  });

  it("an SVG, before sharp renders it", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4096" height="4096"><filter id="f"><feTurbulence baseFrequency=".01" numOctaves="10"/></filter><rect width="100%" height="100%" filter="url(#f)"/></svg>';
    await expect422(dataUri(Buffer.from(svg), "image/svg+xml"), /not a PNG, JPEG, WebP, GIF, TIFF or AVIF file/);
  });

  it(`an infotext longer than LIMITS.maxInfotextChars (${LIMITS.maxInfotextChars})`, async () => {
    const long = withChunks(await gradientPng(8, 8), zTXt("parameters", `${"a".repeat(LIMITS.maxInfotextChars)}\nSteps: 1, Seed: 2, Size: 8x8`));
    await expect422(base64(long), new RegExp(`png-info reads at most ${LIMITS.maxInfotextChars}`));
  });
});

describe("bounded answers", () => {
  it("parses an infotext of LIMITS.maxInfotextChars characters", async () => {
    const params = "\nSteps: 1, Seed: 2, Size: 8x8";
    const text = "a".repeat(LIMITS.maxInfotextChars - params.length) + params;
    const result = await pngInfo(base64(withChunks(await gradientPng(8, 8), zTXt("parameters", text))));
    expect(result.parameters).toMatchObject({ Seed: "2" });
  });

  it("an infotext A1111 cannot parse ((a:.) makes its png-info answer 500) is answered, without the Emphasis default", async () => {
    const result = await pngInfo(base64(withChunks(await gradientPng(8, 8), tEXt("parameters", "(a:.)\nSteps: 1, Seed: 2, Size: 8x8"))));
    expect(result.parameters).toMatchObject({ Prompt: "(a:.)", Seed: "2" });
    expect(result.parameters).not.toHaveProperty("Emphasis");
  });

  it("an answer past SERENA_MAX_RESPONSE_BYTES is a 413 in A1111's error shape", async () => {
    const small = apiClient(ciServices({ SERENA_MAX_RESPONSE_BYTES: "20000" }));
    const image = base64(withChunks(await gradientPng(8, 8), zTXt("Comment", "x".repeat(30_000))));
    const reply = await small.post("/sdapi/v1/png-info", { image });
    expectCleanError(reply, 413);
    expect(HTTPErrorBody.parse(reply.json())).toMatchObject({ error: "ResponseTooLarge" });
    expect((await small.post("/sdapi/v1/png-info", { image: base64(await gradientPng(8, 8)) })).status).toBe(200);
  });
});
