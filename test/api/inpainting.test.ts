/**
 * Inpainting through the CI fake (img2img with `mask`): the request fields, A1111's infotext entries, and the
 * truthful compositing: outside the mask the response holds the init image's pixels, as the real engine returns them
 * (docs/engine.md "Inpainting"). The engine's own behaviour is checked on real models in test/engine/generation.
 */
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import type { GenerationInfo } from "../../lib/a1111/schemas/generation-response.ts";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { base64, gradientPixels, gradientPng } from "../fixtures/images.ts";
import { ciServices } from "../fixtures/services.ts";

const IMG2IMG = "/sdapi/v1/img2img";
const client = apiClient(ciServices());
const SIZE = 64;

/** A grey mask, white where `inside(x, y)`. */
async function maskPng(inside: (x: number, y: number) => boolean, width = SIZE, height = SIZE): Promise<string> {
  const data = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = inside(x, y) ? 255 : 0;
  return base64(await sharp(data, { raw: { width, height, channels: 1 } }).png().toBuffer());
}

async function pixels(image: string) {
  const { data, info } = await sharp(Buffer.from(image, "base64")).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

let init: string;
let leftHalf: string;
beforeAll(async () => {
  init = base64(await gradientPng(SIZE, SIZE));
  leftHalf = await maskPng((x) => x < SIZE / 2);
});

async function inpaint(body: Record<string, unknown>) {
  const reply = await client.post(IMG2IMG, { prompt: "a cat", seed: 5, steps: 4, width: SIZE, height: SIZE, init_images: [init], mask: leftHalf, ...body });
  expect(reply.status, reply.text.slice(0, 400)).toBe(200);
  const json = reply.json() as { images: string[]; info: string };
  return { images: json.images, info: JSON.parse(json.info) as GenerationInfo };
}

/** Largest channel difference to the init image over the columns [from, to). */
async function maxDifference(image: string, from: number, to: number): Promise<number> {
  const { data } = await pixels(image);
  const source = gradientPixels(SIZE, SIZE);
  let max = 0;
  for (let y = 0; y < SIZE; y++) for (let x = from; x < to; x++) for (let c = 0; c < 3; c++) {
    const o = (y * SIZE + x) * 3 + c;
    max = Math.max(max, Math.abs(data[o]! - source[o]!));
  }
  return max;
}

describe("inpainting in the CI fake", () => {
  it("keeps the init image outside the mask (past the blur) and changes it inside", async () => {
    const { images } = await inpaint({ inpaint_full_res: false });
    // Mask blur 4: the kernel reaches 2·int(2.5·4 + 0.5) / 2 = 10 pixels past the edge.
    expect(await maxDifference(images[0]!, SIZE / 2 + 10, SIZE)).toBe(0);
    expect(await maxDifference(images[0]!, 0, SIZE / 2 - 10)).toBeGreaterThan(10);
  });

  it("inpainting_mask_invert swaps the halves", async () => {
    const { images, info } = await inpaint({ inpaint_full_res: false, inpainting_mask_invert: 1 });
    expect(await maxDifference(images[0]!, 0, SIZE / 2 - 10)).toBe(0);
    expect(await maxDifference(images[0]!, SIZE / 2 + 10, SIZE)).toBeGreaterThan(10);
    expect(info.infotexts[0]).toContain("Mask mode: Inpaint not masked");
  });

  it("writes A1111's inpaint entries after Denoising strength (defaults: Only masked, fill, blur 4)", async () => {
    const { info } = await inpaint({});
    expect(info.infotexts[0]).toMatch(/Denoising strength: 0\.75, Mask blur: 4, Inpaint area: Only masked, Masked area padding: 0, Masked content: fill,/);
  });

  it("records each masked content but 'original', and no Mask blur when the two blurs differ", async () => {
    const texts = await Promise.all([0, 1, 2, 3].map(async (fill) => (await inpaint({ inpainting_fill: fill, mask_blur_x: 2, mask_blur_y: 3 })).info.infotexts[0]!));
    expect(texts.map((t) => /Masked content: ([a-z ]+)/.exec(t)?.[1] ?? null)).toEqual(["fill", null, "latent noise", "latent nothing"]);
    for (const text of texts) expect(text).not.toContain("Mask blur");
  });

  it("an 'Only masked' request on a blank mask runs as img2img without the mask's entries, as A1111 does", async () => {
    const { info } = await inpaint({ mask: await maskPng(() => false) });
    expect(info.infotexts[0]).toContain("Mask blur: 4");
    expect(info.infotexts[0]).not.toMatch(/Inpaint area|Masked area padding|Masked content/);
  });
});

describe("bad inpainting inputs are 422s naming the field", () => {
  it("an 'Only masked' mask of another size than the init image", async () => {
    const reply = await client.post(IMG2IMG, { init_images: [init], mask: await maskPng(() => true, 32, 32), width: SIZE, height: SIZE });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "mask"]);
    expect(reply.json().detail[0].msg).toContain("must be the same size");
  });

  it("a latent_mask without a mask", async () => {
    const reply = await client.post(IMG2IMG, { init_images: [init], latent_mask: leftHalf });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "latent_mask"]);
  });

  it("an undecodable latent_mask", async () => {
    const reply = await client.post(IMG2IMG, { init_images: [init], mask: leftHalf, latent_mask: "%%%" });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "latent_mask"]);
  });
});
