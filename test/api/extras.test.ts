/**
 * /sdapi/v1/extra-single-image and extra-batch-images with A1111's plain upscalers (docs/a1111-semantics.md §9.5, §9.9, §9.10;
 * modules/upscaler.py `Upscaler.upscale`, scripts/postprocessing_upscale.py).
 */
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { ESTIMATE_MARGIN, estimateUpscaledPng, plaintextToHtml } from "../../lib/a1111/routes/extras.ts";
import { ExtrasSingleImageRequest } from "../../lib/a1111/schemas/images.ts";
import { readPngText } from "../../lib/a1111/images/png-text.ts";
import { HTTPErrorBody } from "../../lib/a1111/schemas/errors.ts";
import { ExtrasBatchImagesResponse, ExtrasSingleImageResponse } from "../../lib/a1111/schemas/images.ts";
import { LIMITS } from "../../lib/a1111/schemas/limits.ts";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { base64, dataUri, gradientPng, rgbPixels, tEXt, withChunks, zTXt } from "../fixtures/images.ts";
import { ciServices } from "../fixtures/services.ts";

const client = apiClient(ciServices());
let photo: Buffer;
beforeAll(async () => {
  photo = await gradientPng(500, 333);
});

async function extras(body: Record<string, unknown>) {
  const reply = await client.post("/sdapi/v1/extra-single-image", body);
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
  const result = ExtrasSingleImageResponse.parse(reply.json());
  const file = Buffer.from(result.image, "base64");
  return { ...result, file, pixels: await rgbPixels(file), text: readPngText(file) };
}

describe("scale by (resize_mode 0)", () => {
  it("Lanczos ×2 of 500×333 gives 1000×664: the target is floored to a multiple of 8 (§9.5)", async () => {
    const { pixels, text, html_info } = await extras({ image: base64(photo), upscaler_1: "Lanczos", upscaling_resize: 2 });
    expect([pixels.width, pixels.height]).toEqual([1000, 664]);
    // §9.9: "Postprocess upscale by: 2.0, Postprocess upscaler: Lanczos".
    expect(text.postprocessing).toBe("Postprocess upscale by: 2.0, Postprocess upscaler: Lanczos");
    expect(html_info).toBe("<p>Postprocess upscale by: 2.0, Postprocess upscaler: Lanczos</p>");
  });

  it("Nearest ×2 repeats every pixel in a 2×2 block", async () => {
    const small = await gradientPng(64, 40);
    const source = await rgbPixels(small);
    const { pixels, text } = await extras({ image: base64(small), upscaler_1: "Nearest", upscaling_resize: 2 });
    expect([pixels.width, pixels.height]).toEqual([128, 80]);
    for (const [x, y] of [[0, 0], [10, 7], [63, 39], [31, 20]] as const) {
      const src = source.data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const at = ((2 * y + dy) * 128 + 2 * x + dx) * 3;
        expect([...pixels.data.subarray(at, at + 3)]).toEqual([...src]);
      }
    }
    expect(text.postprocessing).toBe("Postprocess upscale by: 2.0, Postprocess upscaler: Nearest");
  });

  it("shrinks without the upscaler: Lanczos straight to the floored target (Upscaler.upscale)", async () => {
    // 500×333 × 0.5: int(250 // 8 · 8) × int(166.5 // 8 · 8) = 248×160.
    const { pixels, text } = await extras({ image: base64(photo), upscaler_1: "Nearest", upscaling_resize: 0.5 });
    expect([pixels.width, pixels.height]).toEqual([248, 160]);
    expect(text.postprocessing).toBe("Postprocess upscale by: 0.5, Postprocess upscaler: Nearest");
  });

  it("upscaler_1 None means no resize at all and no postprocessing text (§9.5)", async () => {
    const { pixels, text, html_info } = await extras({ image: base64(photo), upscaler_1: "None", upscaling_resize: 4 });
    expect([pixels.width, pixels.height]).toEqual([500, 333]);
    expect(text.postprocessing).toBeUndefined();
    expect(html_info).toBe("<p></p>");
  });

  it("upscaler names are matched case-insensitively", async () => {
    const { pixels } = await extras({ image: base64(await gradientPng(40, 40)), upscaler_1: "lanczos", upscaling_resize: 2 });
    expect([pixels.width, pixels.height]).toEqual([80, 80]);
  });

  it("blends upscaler_2 by its visibility and records it", async () => {
    const image = base64(await gradientPng(40, 40));
    const { text } = await extras({ image, upscaler_1: "Lanczos", upscaler_2: "Nearest", extras_upscaler_2_visibility: 0.5 });
    expect(text.postprocessing).toBe("Postprocess upscale by: 2.0, Postprocess upscaler: Lanczos, Postprocess upscaler 2: Nearest");
  });
});

describe("scale to (resize_mode 1)", () => {
  // 160×80 to 240×240: scale = max(240/160, 240/80) = 3, so the upscale is 480×240 (§9.9).
  const request = async () => ({ image: base64(await gradientPng(160, 80)), resize_mode: 1, upscaling_resize_w: 240, upscaling_resize_h: 240, upscaler_1: "Lanczos" });

  it("without crop: scales by max(w/iw, h/ih)", async () => {
    const { pixels, text } = await extras({ ...(await request()), upscaling_crop: false });
    expect([pixels.width, pixels.height]).toEqual([480, 240]);
    expect(text.postprocessing).toBe("Postprocess upscale to: 240x240, Postprocess upscaler: Lanczos");
  });

  it("with crop: centres the upscale on a W×H canvas (PIL paste at W//2 − w//2)", async () => {
    const uncropped = (await extras({ ...(await request()), upscaling_crop: false })).pixels;
    const { pixels, text } = await extras({ ...(await request()), upscaling_crop: true });
    expect([pixels.width, pixels.height]).toEqual([240, 240]);
    expect(text.postprocessing).toBe("Postprocess upscale to: 240x240, Postprocess crop to: 240x240, Postprocess upscaler: Lanczos");
    // Canvas (x, y) shows upscale (x + 120, y): 240 // 2 − 480 // 2 = −120.
    for (const [x, y] of [[0, 0], [239, 239], [123, 45]] as const) {
      const a = (y * 240 + x) * 3;
      const b = (y * 480 + x + 120) * 3;
      expect([...pixels.data.subarray(a, a + 3)]).toEqual([...uncropped.data.subarray(b, b + 3)]);
    }
  });
});

describe("metadata", () => {
  it("keeps the source's parameters chunk beside the postprocessing chunk (§4.2)", async () => {
    const infotext = "a cat\nSteps: 20, Sampler: Euler, Seed: 5, Size: 64x64";
    const source = withChunks(await gradientPng(64, 64), tEXt("parameters", infotext));
    const { text } = await extras({ image: dataUri(source), upscaler_1: "Lanczos" });
    expect(text).toEqual({ parameters: infotext, postprocessing: "Postprocess upscale by: 2.0, Postprocess upscaler: Lanczos" });
  });

  it("html_info escapes like Python's html.escape and breaks lines with <br> (A1111 plaintext_to_html)", () => {
    expect(plaintextToHtml(`a <b> & "c"\nd's`)).toBe("<p>a &lt;b&gt; &amp; &quot;c&quot;<br>\nd&#x27;s</p>");
  });

  it("a target that is not a multiple of 8 is floored before the crop (Upscaler.upscale), leaving a black border", async () => {
    // 100×100 to 300×300: scale 3, upscale to int(300 // 8 · 8) = 296, pasted at 150 − 148 = 2.
    const { pixels, html_info } = await extras({ image: base64(await gradientPng(100, 100)), resize_mode: 1, upscaling_resize_w: 300, upscaling_resize_h: 300, upscaler_1: "Nearest" });
    expect([pixels.width, pixels.height]).toEqual([300, 300]);
    expect([...pixels.data.subarray(0, 3)]).toEqual([0, 0, 0]);
    expect(html_info).toBe("<p>Postprocess upscale to: 300x300, Postprocess crop to: 300x300, Postprocess upscaler: Nearest</p>");
  });
});

describe("refusals", () => {
  it.each(["upscaler_1", "upscaler_2"])("an unknown %s is a 422 naming it (A1111: 500 AssertionError)", async (field) => {
    const reply = await client.post("/sdapi/v1/extra-single-image", { image: base64(photo), upscaler_1: "Lanczos", [field]: "ESRGAN_4x" });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", field]);
    expect(reply.json().detail[0].msg).toContain("could not find upscaler named ESRGAN_4x");
  });

  it("face restoration is refused rather than silently skipped", async () => {
    const reply = await client.post("/sdapi/v1/extra-single-image", { image: base64(photo), gfpgan_visibility: 0.5 });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "gfpgan_visibility"]);
  });

  it("resize_mode is 0 or 1 (Literal[0, 1])", async () => {
    const reply = await client.post("/sdapi/v1/extra-single-image", { image: base64(photo), resize_mode: 2 });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "resize_mode"]);
  });

  it("a bad image is a 422 naming it", async () => {
    const reply = await client.post("/sdapi/v1/extra-single-image", { image: "nope" });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "image"]);
  });
});

describe("extra-batch-images (§9.10)", () => {
  it("upscales each image of imageList in order", async () => {
    const [a, b] = [await gradientPng(40, 24), await gradientPng(16, 32)];
    const reply = await client.post("/sdapi/v1/extra-batch-images", {
      imageList: [{ data: base64(a), name: "a.png" }, { data: dataUri(b), name: "b.png" }],
      upscaler_1: "Lanczos",
      upscaling_resize: 2,
    });
    expect(reply.status).toBe(200);
    const result = ExtrasBatchImagesResponse.parse(reply.json());
    expect(result.html_info).toBe("<p>Postprocess upscale by: 2.0, Postprocess upscaler: Lanczos</p>");
    const sizes = await Promise.all(result.images.map(async (i) => rgbPixels(Buffer.from(i, "base64"))));
    expect(sizes.map((s) => [s.width, s.height])).toEqual([[80, 48], [32, 64]]);
  });

  it("names the bad entry", async () => {
    const reply = await client.post("/sdapi/v1/extra-batch-images", {
      imageList: [{ data: base64(await gradientPng(8, 8)), name: "ok" }, { data: "bad", name: "bad" }],
      upscaler_1: "Lanczos",
    });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "imageList", 1, "data"]);
  });

  it("an empty imageList gives no images", async () => {
    const reply = await client.post("/sdapi/v1/extra-batch-images", { imageList: [] });
    expect(reply.json()).toEqual({ html_info: "<p></p>", images: [] });
  });
});

describe("bounded work: sizes refused before anything is decoded", () => {
  const solid = (width: number, height: number) =>
    sharp({ create: { width, height, channels: 3, background: "#446688" } })
      .png()
      .toBuffer();

  it(`×8 of a 4096² PNG (a gigapixel) is a 422 naming upscaling_resize, in well under a second`, async () => {
    const big = await solid(4096, 4096);
    const start = performance.now();
    const reply = await client.post("/sdapi/v1/extra-single-image", { image: base64(big), upscaler_1: "Lanczos", upscaling_resize: 8 });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0]).toMatchObject({ loc: ["body", "upscaling_resize"] });
    expect(reply.json().detail[0].msg).toBe(`upscaling 4096x4096 this way makes a 32768x32768 image; at most ${LIMITS.maxUpscaledPixels} pixels are allowed`);
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it("resize_mode 1 names the side that sets the scale", async () => {
    // 8×16 to 4096×512: scale max(512, 32) = 512, so 4096×8192.
    const reply = await client.post("/sdapi/v1/extra-single-image", {
      image: base64(await solid(8, 16)),
      upscaler_1: "Nearest",
      resize_mode: 1,
      upscaling_resize_w: 4096,
      upscaling_resize_h: 512,
    });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "upscaling_resize_w"]);
    const tall = await client.post("/sdapi/v1/extra-single-image", {
      image: base64(await solid(16, 8)),
      upscaler_1: "Nearest",
      resize_mode: 1,
      upscaling_resize_w: 512,
      upscaling_resize_h: 4096,
    });
    expect(tall.json().detail[0].loc).toEqual(["body", "upscaling_resize_h"]);
  });

  it("the limit itself is allowed, and upscaler None asks for no pixels at all", async () => {
    const reply = await client.post("/sdapi/v1/extra-single-image", { image: base64(await solid(2048, 2048)), upscaler_1: "Nearest", upscaling_resize: 2 });
    expect(reply.status).toBe(200);
    const none = await client.post("/sdapi/v1/extra-single-image", { image: base64(await solid(4096, 4096)), upscaler_1: "None", upscaling_resize: 8 });
    expect(none.status).toBe(200);
  });

  it("a 1×1 image scaled down still gives an image (the target is at least 8×8)", async () => {
    const { pixels } = await extras({ image: base64(await solid(1, 1)), upscaler_1: "Lanczos", upscaling_resize: 0.5 });
    expect([pixels.width, pixels.height]).toEqual([8, 8]);
  });
});

describe("broken images are a 422 naming the image, not a 500", () => {
  it("a PNG cut in half, in single and batch requests", async () => {
    const half = base64(photo.subarray(0, photo.length >> 1));
    const single = await client.post("/sdapi/v1/extra-single-image", { image: half, upscaler_1: "Lanczos" });
    expectCleanError(single, 422);
    expect(single.json().detail[0].loc).toEqual(["body", "image"]);
    const batch = await client.post("/sdapi/v1/extra-batch-images", { imageList: [{ data: base64(photo), name: "a" }, { data: half, name: "b" }], upscaler_1: "Lanczos" });
    expectCleanError(batch, 422);
    expect(batch.json().detail[0].loc).toEqual(["body", "imageList", 1, "data"]);
  });

  it("a text chunk that inflates past 1 MiB", async () => {
    const bomb = withChunks(await gradientPng(8, 8), zTXt("parameters", "a".repeat(2_000_000)));
    const reply = await client.post("/sdapi/v1/extra-single-image", { image: base64(bomb), upscaler_1: "Lanczos" });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].msg).toMatch(/Decompressed Data Too Large/);
  });
});

describe("the response limit (SERENA_MAX_RESPONSE_BYTES)", () => {
  // The 2× Lanczos gradient comes to about 20 kB of JSON (level-6 PNG with adaptive filtering), an 8×8 one to 371 bytes.
  const small = apiClient(ciServices({ SERENA_MAX_RESPONSE_BYTES: "10000" }));

  it("is a 413 in A1111's error shape past the limit", async () => {
    const reply = await small.post("/sdapi/v1/extra-single-image", { image: base64(photo), upscaler_1: "Lanczos", upscaling_resize: 2 });
    expectCleanError(reply, 413);
    expect(HTTPErrorBody.parse(reply.json())).toMatchObject({ error: "ResponseTooLarge" });
    expect(reply.json().detail).toMatch(/over the 10000-byte limit/);
  });

  it("stops a batch at the image that passes it", async () => {
    const tiny = base64(await gradientPng(8, 8));
    const ok = await small.post("/sdapi/v1/extra-batch-images", { imageList: [{ data: tiny, name: "a" }], upscaler_1: "Nearest" });
    expect(ok.status).toBe(200);
    // The bad third image would be a 422 if the batch went on past the second, which already passes the limit.
    const reply = await small.post("/sdapi/v1/extra-batch-images", {
      imageList: [{ data: tiny, name: "a" }, { data: base64(photo), name: "b" }, { data: "not an image", name: "c" }],
      upscaler_1: "Nearest",
    });
    expectCleanError(reply, 413);
  });
});

/** `width`×`height` RGB of seeded xorshift noise: a PNG about as large as its pixels. */
function noisePng(width: number, height: number, seed = 12345): Promise<Buffer> {
  let x = seed;
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

describe("the response limit, estimated before upscaling", () => {
  const request = async (image: Buffer) => ({ image: base64(image), upscaler_1: "Lanczos", upscaling_resize: 2 });
  const limited = (bytes: number) => apiClient(ciServices({ SERENA_MAX_RESPONSE_BYTES: String(bytes) }));
  const pixelsOf = async (png: Buffer) => {
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3 as const };
  };

  it("estimates the upscaled PNG's bytes within a few percent on noise, a gradient and flat colour", async () => {
    const flat = await sharp({ create: { width: 300, height: 300, channels: 3, background: "#808080" } }).png().toBuffer();
    for (const image of [await noisePng(240, 240), await gradientPng(400, 300), flat]) {
      const body = await request(image);
      const estimate = await estimateUpscaledPng(await pixelsOf(image), ExtrasSingleImageRequest.parse(body));
      const reply = await client.post("/sdapi/v1/extra-single-image", body);
      const real = Buffer.from((reply.json() as { image: string }).image, "base64").length;
      expect(estimate! / real).toBeGreaterThan(0.9);
      expect(estimate! / real).toBeLessThan(1.1);
    }
  });

  it("well past the limit: a 413 before upscaling that says the size is estimated; a batch stops at that image", async () => {
    const body = await request(await noisePng(240, 240));
    // 480² of noise: about 700 kB of PNG, 930 kB of base64.
    const single = await limited(400_000).post("/sdapi/v1/extra-single-image", body);
    expectCleanError(single, 413);
    expect(HTTPErrorBody.parse(single.json()).detail).toMatch(/^The response would be about \d+ bytes \(estimated before upscaling, .*over the 400000-byte limit/);
    // The bad second image would be a 422 if the batch went on to decode it.
    const batch = await limited(400_000).post("/sdapi/v1/extra-batch-images", {
      imageList: [{ data: body.image, name: "a" }, { data: "not an image", name: "b" }],
      upscaler_1: "Lanczos",
      upscaling_resize: 2,
    });
    expectCleanError(batch, 413);
    expect(batch.json().detail).toMatch(/estimated before upscaling/);
  });

  it("near the limit: measured after upscaling (no estimate refuses what might fit), and what fits is answered", async () => {
    const body = await request(await noisePng(240, 240));
    const size = (await client.post("/sdapi/v1/extra-single-image", body)).text.length;
    // Over the limit, but by less than the margin an estimate must clear: the 413 comes from the measured size.
    const measured = await limited(Math.floor(size / ESTIMATE_MARGIN) + 20_000).post("/sdapi/v1/extra-single-image", body);
    expectCleanError(measured, 413);
    expect(measured.json().detail).toMatch(/^The response would be \d+ bytes, over/);
    expect((await limited(size + 100).post("/sdapi/v1/extra-single-image", body)).status).toBe(200);
  });

  it("does not refuse an upscale that compresses well: flat colour ×3, 1.7 MB of pixels, under a 10,000-byte limit", async () => {
    const flat = await sharp({ create: { width: 256, height: 256, channels: 3, background: "#336699" } }).png().toBuffer();
    const reply = await limited(10_000).post("/sdapi/v1/extra-single-image", { image: base64(flat), upscaler_1: "Lanczos", upscaling_resize: 3 });
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    expect((await rgbPixels(Buffer.from((reply.json() as { image: string }).image, "base64"))).width).toBe(768);
  });
});
