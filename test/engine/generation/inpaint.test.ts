/**
 * Inpainting on the real engine (img2img with a mask; docs/engine.md "Inpainting"), checked by what a user sees:
 * what the mask leaves out keeps the init image's pixels, what it covers is generated; the options that change the
 * result change it; "Only masked" touches only the padded box around the mask; an inpainting UNet (9 input
 * channels) loads and takes A1111's conditioning.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../../../lib/platform/runtime/services.ts";
import { TINY_INPAINTING_VARIANT } from "../../../lib/engine/tiny-model/index.ts";
import { apiClient } from "../../fixtures/api.ts";
import { gradientDataUri, img2imgJob, pixelsOf, TEST_CACHE_DIR, tinyA1111, tinyModelDir, txt2imgJob } from "../../fixtures/engine.ts";
import { testServices } from "../../fixtures/services.ts";

const SIZE = 512;
/** Mask blur 4 reaches int(2.5·4 + 0.5) = 10 pixels past the mask's edge (cv2 kernel 21). */
const BLUR_REACH = 10;

async function maskUri(inside: (x: number, y: number) => boolean, width = SIZE, height = SIZE): Promise<string> {
  const data = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = inside(x, y) ? 255 : 0;
  return `data:image/png;base64,${(await sharp(data, { raw: { width, height, channels: 1 } }).png().toBuffer()).toString("base64")}`;
}

let init: string;
let initPixels: Buffer;
let leftHalf: string;
beforeAll(async () => {
  init = await gradientDataUri(SIZE, SIZE);
  initPixels = (await pixelsOf(Buffer.from(init.split(",")[1]!, "base64"))).data;
  leftHalf = await maskUri((x) => x < SIZE / 2);
});

/** Largest channel difference to the init image over the pixels where `where(x, y)`. */
async function maxDifference(image: Buffer, where: (x: number, y: number) => boolean): Promise<number> {
  const { data, width, height } = await pixelsOf(image);
  expect([width, height]).toEqual([SIZE, SIZE]);
  let max = 0;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      if (!where(x, y)) continue;
      for (let c = 0; c < 3; c++) max = Math.max(max, Math.abs(data[(y * SIZE + x) * 3 + c]! - initPixels[(y * SIZE + x) * 3 + c]!));
    }
  }
  return max;
}

const base = (extra: Record<string, unknown> = {}) => ({
  prompt: "a red fox",
  seed: 7,
  steps: 4,
  width: SIZE,
  height: SIZE,
  denoising_strength: 0.9,
  init_images: [init],
  mask: leftHalf,
  inpaint_full_res: false,
  ...extra,
});

const sha = (file: Buffer) => createHash("sha256").update(file).digest("hex");

describe("inpainting on the default model", () => {
  it("keeps the right half (past the blur margin) within one level of the init image and changes the left half", async () => {
    const engine = await tinyA1111();
    const out = await engine.generate(img2imgJob(base()));
    expect(await maxDifference(out.images[0]!, (x) => x >= SIZE / 2 + BLUR_REACH)).toBeLessThanOrEqual(1);
    expect(await maxDifference(out.images[0]!, (x) => x < SIZE / 2 - BLUR_REACH)).toBeGreaterThan(20);
    expect(out.info.infotexts[0]).toMatch(/Denoising strength: 0\.9, Mask blur: 4, Masked content: fill,/);
  });

  it("inpainting_mask_invert: 1 swaps the halves", async () => {
    const engine = await tinyA1111();
    const out = await engine.generate(img2imgJob(base({ inpainting_mask_invert: 1 })));
    expect(await maxDifference(out.images[0]!, (x) => x < SIZE / 2 - BLUR_REACH)).toBeLessThanOrEqual(1);
    expect(await maxDifference(out.images[0]!, (x) => x >= SIZE / 2 + BLUR_REACH)).toBeGreaterThan(20);
    expect(out.info.infotexts[0]).toContain("Mask mode: Inpaint not masked");
  });

  it("each inpainting_fill gives a different image", async () => {
    const engine = await tinyA1111();
    const hashes = new Set<string>();
    for (const fill of [0, 1, 2, 3]) hashes.add(sha((await engine.generate(img2imgJob(base({ inpainting_fill: fill })))).images[0]!));
    expect(hashes.size).toBe(4);
  });

  it("\"Only masked\" with a small mask changes only the padded box around it", async () => {
    const engine = await tinyA1111();
    const [x0, y0, side, padding] = [200, 240, 32, 16];
    const inSquare = (x: number, y: number) => x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
    const out = await engine.generate(img2imgJob(base({ mask: await maskUri(inSquare), inpaint_full_res: true, inpaint_full_res_padding: padding })));
    const reach = BLUR_REACH + padding;
    const outsideBox = (x: number, y: number) => x < x0 - reach || x >= x0 + side + reach || y < y0 - reach || y >= y0 + side + reach;
    expect(await maxDifference(out.images[0]!, outsideBox)).toBe(0);
    expect(await maxDifference(out.images[0]!, inSquare)).toBeGreaterThan(20);
    expect(out.info.infotexts[0]).toContain("Inpaint area: Only masked, Masked area padding: 16");
  });

  it("a transparent RGBA mask is read from its alpha, as create_binary_mask does", async () => {
    const engine = await tinyA1111();
    const rgba = Buffer.alloc(SIZE * SIZE * 4);
    for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) rgba[(y * SIZE + x) * 4 + 3] = x < SIZE / 2 ? 255 : 0;
    const mask = `data:image/png;base64,${(await sharp(rgba, { raw: { width: SIZE, height: SIZE, channels: 4 } }).png().toBuffer()).toString("base64")}`;
    const viaAlpha = await engine.generate(img2imgJob(base({ mask })));
    const viaLuma = await engine.generate(img2imgJob(base()));
    expect(sha(viaAlpha.images[0]!)).toBe(sha(viaLuma.images[0]!));
  });

  it("overlay_inpaint false returns the decoded image without pasting the original back", async () => {
    const engine = await tinyA1111();
    const out = await engine.generate(img2imgJob(base(), { overlay_inpaint: false }));
    expect(await maxDifference(out.images[0]!, (x) => x >= SIZE / 2 + BLUR_REACH)).toBeGreaterThan(1);
  });
});

let services: Services | undefined;
afterAll(async () => {
  await services?.backend.close?.();
});

describe("an inpainting UNet (9 input channels) through SERENA_MODEL_DIR", () => {
  const small = { prompt: "a red fox", seed: 3, steps: 4, width: 64, height: 64 };

  it("loads, inpaints, and records Conditional mask weight", async () => {
    const dir = await tinyModelDir(TINY_INPAINTING_VARIANT);
    services = testServices({ SERENA_BACKEND: "local", SERENA_CACHE_DIR: TEST_CACHE_DIR, SERENA_MODEL_DIR: dir });
    const client = apiClient(services);
    const models = (await client.get("/sdapi/v1/sd-models")).json() as { model_name: string }[];
    expect(models.map((m) => m.model_name)).toEqual([TINY_INPAINTING_VARIANT]);
    const reply = await client.post("/sdapi/v1/img2img", {
      ...small,
      init_images: [await gradientDataUri(64, 64)],
      mask: await maskUri((x) => x < 32, 64, 64),
      inpaint_full_res: false,
    });
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    const info = JSON.parse((reply.json() as { info: string }).info) as { infotexts: string[] };
    expect(info.infotexts[0]).toContain("Denoising strength: 0.75, Conditional mask weight: 1.0, Mask blur: 4");
  });

  it("the conditioning reaches the UNet: inpainting_mask_weight changes the image", async () => {
    const engine = await tinyA1111(TINY_INPAINTING_VARIANT);
    const body = { ...small, init_images: [await gradientDataUri(64, 64)], mask: await maskUri((x) => x < 32, 64, 64), inpaint_full_res: false };
    const full = await engine.generate(img2imgJob(body));
    const half = await engine.generate(img2imgJob(body, { inpainting_mask_weight: 0.5 }));
    expect(sha(full.images[0]!)).not.toBe(sha(half.images[0]!));
    expect(half.info.infotexts[0]).toContain("Conditional mask weight: 0.5");
  });

  it("runs txt2img with the whole image masked", async () => {
    const engine = await tinyA1111(TINY_INPAINTING_VARIANT);
    const out = await engine.generate(txt2imgJob(small));
    expect((await pixelsOf(out.images[0]!)).width).toBe(64);
    expect(out.info.infotexts[0]).toContain("Conditional mask weight: 1.0");
  });
});
