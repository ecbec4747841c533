/**
 * Images in the bucket from the synchronous routes: `save_images: true` or a response over SERENA_MAX_RESPONSE_BYTES
 * stores them under outputs/<id>/<n>.<ext> and answers with presigned `image_urls` (fetched here over HTTP); without
 * a bucket an oversized response is a 413 that says what to do, never a truncated body. Also settings shared
 * through the bucket by every instance.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { STORED_IMAGES_HEADER } from "../../../lib/a1111/routes/generation.ts";
import { readPngText } from "../../../lib/a1111/images/png-text.ts";
import { createFakeBackend } from "../../../lib/platform/inference/fake-backend.ts";
import type { InferenceBackend } from "../../../lib/a1111/backend.ts";
import { GenerationResponse } from "../../../lib/a1111/schemas/generation-response.ts";
import { HTTPErrorBody } from "../../../lib/a1111/schemas/errors.ts";
import { imageFileType, outputPrefix, storeImages } from "../../../lib/platform/storage/outputs.ts";
import { apiClient, expectCleanError } from "../../fixtures/api.ts";
import { gradientJpeg, gradientPng } from "../../fixtures/images.ts";
import { ciServices, testServices } from "../../fixtures/services.ts";
import { createTestBucket, type TestBucket } from "../../setup/s3.ts";

const TXT2IMG = "/sdapi/v1/txt2img";
const request = { prompt: "a harbour", seed: 11, batch_size: 2, n_iter: 2, width: 96, height: 64 };
let bucket: TestBucket;

beforeAll(async () => {
  bucket = await createTestBucket();
});

async function download(url: string): Promise<{ bytes: Buffer; contentType: string | null }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { bytes: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get("content-type") };
}

describe("storeImages", () => {
  it("keeps each image under outputs/<id>/<n> with the extension and content type of its own format", async () => {
    const [png, jpg] = [await gradientPng(8, 8), await gradientJpeg(8, 8)];
    const keys = await storeImages(bucket.storage, outputPrefix("run-1"), [png, jpg]);
    expect(keys).toEqual(["outputs/run-1/0.png", "outputs/run-1/1.jpg"]);
    expect(imageFileType(jpg)).toEqual({ ext: "jpg", contentType: "image/jpeg" });
    expect((await download(await bucket.storage.presignGet(keys[1]!))).contentType).toBe("image/jpeg");
  });
});

describe("save_images: true with a bucket", () => {
  it("answers with the images inline and the same images at presigned URLs", async () => {
    const reply = await apiClient(ciServices(bucket.env)).post(TXT2IMG, { ...request, save_images: true });
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    expect(reply.headers[STORED_IMAGES_HEADER]).toBe("stored");
    const body = GenerationResponse.parse(reply.json());
    expect(body.images).toHaveLength(4);
    expect(body.image_urls).toHaveLength(4);
    for (const [i, url] of body.image_urls!.entries()) {
      expect(url).toMatch(new RegExp(`/${bucket.name}/outputs/[0-9a-f-]{36}/${i}\\.png\\?`));
      const { bytes, contentType } = await download(url);
      expect(contentType).toBe("image/png");
      expect(bytes.toString("base64")).toBe(body.images[i]);
    }
  });

  it("stores them even when send_images is false, and then sends none inline (A1111: images [])", async () => {
    const reply = await apiClient(ciServices(bucket.env)).post(TXT2IMG, { ...request, save_images: true, send_images: false });
    const body = GenerationResponse.parse(reply.json());
    expect(body.images).toEqual([]);
    expect(body.image_urls).toHaveLength(4);
  });

  it("leaves a response without save_images as A1111's: no image_urls, no header", async () => {
    const reply = await apiClient(ciServices(bucket.env)).post(TXT2IMG, request);
    expect(reply.json()).not.toHaveProperty("image_urls");
    expect(reply.headers[STORED_IMAGES_HEADER]).toBeUndefined();
  });
});

describe("a response over SERENA_MAX_RESPONSE_BYTES", () => {
  const tiny = { SERENA_MAX_RESPONSE_BYTES: "20000" };

  it("with a bucket: sends no images inline and every image as a URL, in order", async () => {
    const services = ciServices({ ...bucket.env, ...tiny });
    // Four 384×256 placeholder PNGs come to about 26 kB of JSON inline, over the 20,000-byte limit.
    const large = { ...request, width: 384, height: 256 };
    const inline = GenerationResponse.parse((await apiClient(ciServices()).post(TXT2IMG, large)).json());
    const reply = await apiClient(services).post(TXT2IMG, large);
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    expect(reply.text.length).toBeLessThanOrEqual(20000);
    expect(reply.headers[STORED_IMAGES_HEADER]).toBe("stored");
    const body = GenerationResponse.parse(reply.json());
    expect(body.images).toEqual([]);
    expect(body.info).toBe(inline.info);
    const files = await Promise.all(body.image_urls!.map(async (url) => (await download(url)).bytes));
    expect(files.map((f) => f.toString("base64"))).toEqual(inline.images);
    // Each file still carries its own infotext (docs/a1111-semantics.md §4.2), matching `info.infotexts` in order.
    expect(files.map((f) => readPngText(f).parameters)).toEqual(JSON.parse(body.info).infotexts);
  });

  it("without a bucket: a 413 in A1111's error shape that says how to fix it", async () => {
    // WebP's floor (4 × 96 × 64 × 3 / 60, in base64: 1,639 bytes) passes the check before generating; the response
    // measured after it does not.
    const limit = { SERENA_MAX_RESPONSE_BYTES: "2500" };
    const reply = await apiClient(ciServices(limit)).post(TXT2IMG, { ...request, override_settings: { samples_format: "webp" } });
    expectCleanError(reply, 413);
    const error = HTTPErrorBody.parse(reply.json());
    expect(error.error).toBe("ResponseTooLarge");
    expect(error.detail).toMatch(/^The response would be \d+ bytes, over the 2500-byte limit/);
    expect(error.detail).toContain("SERENA_BUCKET");
  });

  it("without a bucket: a response that cannot fit is a 413 before any generation runs", async () => {
    // No inference backend at all: reaching it would be a 503, so a 413 proves the refusal came first.
    const services = testServices({ SERENA_MAX_RESPONSE_BYTES: "5500000" });
    const big = await apiClient(services).post(TXT2IMG, { prompt: "a harbour", width: 1024, height: 1024, steps: 150, n_iter: 4 });
    expectCleanError(big, 413);
    expect(HTTPErrorBody.parse(big.json()).detail).toMatch(/^The response would be at least \d+ bytes, over the 5500000-byte limit/);
    // JPEG's floor is lower: the same request fits there and goes on to the (missing) backend.
    const jpeg = await apiClient(services).post(TXT2IMG, { prompt: "a harbour", width: 1024, height: 1024, n_iter: 4, override_settings: { samples_format: "jpg" } });
    expectCleanError(jpeg, 503);
  });

  it("without a bucket, save_images alone changes nothing: the images come inline", async () => {
    const body = GenerationResponse.parse((await apiClient(ciServices()).post(TXT2IMG, { ...request, save_images: true })).json());
    expect(body.images).toHaveLength(4);
    expect(body).not.toHaveProperty("image_urls");
  });
});

describe("images a remote worker already stored", () => {
  it("are presigned, not stored again", async () => {
    const png = await gradientPng(64, 64);
    await bucket.storage.put("outputs/worker-job/0.png", png, "image/png");
    const fake = createFakeBackend();
    const worker: InferenceBackend = {
      ...fake,
      name: "remote",
      async generate(job, hooks) {
        const { info } = await fake.generate(job, hooks);
        return { images: [], storedImageKeys: ["outputs/worker-job/0.png"], info };
      },
    };
    const reply = await apiClient(testServices(bucket.env, { backend: worker })).post(TXT2IMG, { prompt: "x", width: 64, height: 64 });
    const body = GenerationResponse.parse(reply.json());
    expect(body.images).toEqual([]);
    expect(body.image_urls).toHaveLength(1);
    expect((await download(body.image_urls![0]!)).bytes.equals(png)).toBe(true);
  });
});

describe("settings in the bucket", () => {
  it("are shared by every instance: a POST to one is what GET on another returns", async () => {
    const first = apiClient(ciServices(bucket.env));
    const second = apiClient(ciServices(bucket.env));
    expect((await first.post("/sdapi/v1/options", { samples_format: "jpg", CLIP_stop_at_last_layers: 2 })).status).toBe(200);
    const options = (await second.get("/sdapi/v1/options")).json();
    expect(options.samples_format).toBe("jpg");
    expect(options.CLIP_stop_at_last_layers).toBe(2);
    // Generation on the other instance uses them too.
    const body = GenerationResponse.parse((await second.post(TXT2IMG, { ...request, batch_size: 1, n_iter: 1 })).json());
    expect(imageFileType(Buffer.from(body.images[0]!, "base64")).ext).toBe("jpg");
    expect(await bucket.storage.getJson("state/options.json")).toEqual({ samples_format: "jpg", CLIP_stop_at_last_layers: 2 });
    await first.post("/sdapi/v1/options", { samples_format: "png", CLIP_stop_at_last_layers: 1 });
  });

  it("ignores stored keys that are unknown or no longer valid", async () => {
    const other = await createTestBucket();
    await other.storage.putJson("state/options.json", { no_such_option: 1, samples_format: "tiff", jpeg_quality: 55 });
    const options = (await apiClient(ciServices(other.env)).get("/sdapi/v1/options")).json();
    expect(options).not.toHaveProperty("no_such_option");
    expect(options.samples_format).toBe("png");
    expect(options.jpeg_quality).toBe(55);
  });
});
