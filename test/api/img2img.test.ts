/** img2img through the CI fake: init images as data: URIs or raw base64 (docs/a1111-semantics.md §2.3, §8). */
import { beforeAll, describe, expect, it } from "vitest";
import type { GenerationInfo } from "../../lib/a1111/schemas/generation-response.ts";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { base64, dataUri, describeImage, gradientJpeg, gradientPng } from "../fixtures/images.ts";
import { ciServices } from "../fixtures/services.ts";

const IMG2IMG = "/sdapi/v1/img2img";
const client = apiClient(ciServices());
let png: Buffer;
beforeAll(async () => {
  png = await gradientPng(80, 60);
});

async function img2img(body: Record<string, unknown>) {
  const reply = await client.post(IMG2IMG, { prompt: "a cat", seed: 11, steps: 20, width: 64, height: 64, ...body });
  expect(reply.status, reply.text.slice(0, 400)).toBe(200);
  const json = reply.json() as { images: string[]; parameters: Record<string, unknown>; info: string };
  return { ...json, info: JSON.parse(json.info) as GenerationInfo };
}

describe("init images", () => {
  it("accepts a data: URI (as A1111's own tests send it)", async () => {
    const { images, info } = await img2img({ init_images: [dataUri(png)] });
    expect(images).toHaveLength(1);
    expect(await describeImage(images[0]!)).toMatchObject({ format: "png", width: 64, height: 64 });
    expect(info.all_seeds).toEqual([11]);
  });

  it("accepts raw base64 and JPEG input", async () => {
    expect((await img2img({ init_images: [base64(png)] })).images).toHaveLength(1);
    expect((await img2img({ init_images: [base64(await gradientJpeg(40, 30))] })).images).toHaveLength(1);
  });

  it("records img2img's denoising strength default 0.75 (§2.3, §8)", async () => {
    const { info } = await img2img({ init_images: [base64(png)] });
    expect(info.denoising_strength).toBe(0.75);
    expect(info.infotexts[0]).toContain("Denoising strength: 0.75");
  });

  it("leaves init images out of the echoed parameters unless include_init_images (§2.3 field 51)", async () => {
    expect((await img2img({ init_images: [base64(png)] })).parameters).toMatchObject({ init_images: null, mask: null });
    const kept = await img2img({ init_images: [base64(png)], include_init_images: true });
    expect(kept.parameters.init_images).toEqual([base64(png)]);
  });

});

describe("bad init images are 422s naming the field (Serena; A1111 answers 500 'Invalid encoded image', §3.2)", () => {
  it.each([
    ["not base64", "this is not base64!"],
    ["base64 of text", Buffer.from("hello, not an image at all").toString("base64")],
    ["a data: URI that is not an image type", "data:text/plain;base64,aGVsbG8="],
    ["an http URL (never fetched)", "https://example.com/cat.png"],
  ])("%s", async (_name, value) => {
    const reply = await client.post(IMG2IMG, { init_images: [value] });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "init_images", 0]);
  });

  it("names the index of the bad image", async () => {
    const reply = await client.post(IMG2IMG, { batch_size: 2, width: 64, height: 64, init_images: [base64(png), "%%%"] });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "init_images", 1]);
  });

  it("names the mask", async () => {
    const reply = await client.post(IMG2IMG, { init_images: [base64(png)], mask: "nope" });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "mask"]);
  });

  it("needs at least one init image (A1111: 404 'Init image not found')", async () => {
    for (const init_images of [null, []]) {
      const reply = await client.post(IMG2IMG, { init_images });
      expectCleanError(reply, 422);
      expect(reply.json().detail[0]).toMatchObject({ loc: ["body", "init_images"] });
      expect(reply.json().detail[0].msg).toContain("Init image not found");
    }
  });

  it("refuses more init images than batch_size (A1111: 500 'bad number of images passed', §8)", async () => {
    const reply = await client.post(IMG2IMG, { batch_size: 1, init_images: [base64(png), base64(png)] });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].msg).toBe("bad number of images passed: 2; expecting 1 or less");
  });

  it("refuses null denoising_strength, non-Optional in img2img (§2.1)", async () => {
    const reply = await client.post(IMG2IMG, { init_images: [base64(png)], denoising_strength: null });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0]).toEqual({
      loc: ["body", "denoising_strength"],
      msg: "none is not an allowed value",
      type: "type_error.none.not_allowed",
    });
  });
});
