import os from "node:os";
import path from "node:path";
import { startFauxqs } from "fauxqs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ensureTinyModel } from "../../../lib/engine/tiny-model/index.ts";
import type { InferenceBackend, ProgressUpdate } from "../../../lib/a1111/backend.ts";
import type { WorkerResponse } from "../../../lib/platform/inference/job-protocol.ts";
import { createLocalBackend } from "../../../lib/platform/inference/local/local-backend.ts";
import type { ObjectStorage } from "../../../lib/platform/storage/object-storage.ts";
import { createStorage } from "../../../lib/platform/storage/s3-storage.ts";
import { handleWorkerRequest, type WorkerDeps } from "../../../lib/platform/worker/handle-request.ts";
import { base64Length } from "../../../lib/platform/worker/result-images.ts";

const BODY = { prompt: "a cat", seed: 11, steps: 3, width: 64, height: 64, batch_size: 2 };
const OUTPUT = { inlineLimitBytes: 5_500_000, prefix: "outputs/job-1/" };

let backend: InferenceBackend;
let storage: ObjectStorage;
let s3: Awaited<ReturnType<typeof startFauxqs>>;

beforeAll(async () => {
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  s3 = await startFauxqs({ port: 0, logger: false });
  s3.createBucket("outputs");
  storage = createStorage({ bucket: "outputs", endpoint: s3.address, region: "us-east-1", presignExpiresSeconds: 60 })!;
  const cacheDir = path.join(os.tmpdir(), "serena-test-cache");
  backend = createLocalBackend({ modelDir: await ensureTinyModel(cacheDir, "sd1-diffusers"), modelsRoot: null, cacheDir, ortThreads: 0 });
});

afterAll(async () => {
  await backend.close?.();
  await s3.stop();
  vi.unstubAllEnvs();
});

const deps = (extra: Partial<WorkerDeps> = {}): WorkerDeps => ({ backend, storage: null, ...extra });

function expectError(response: WorkerResponse) {
  if (response.ok) throw new Error(`expected an error, got ${JSON.stringify(response).slice(0, 200)}`);
  return response.error;
}

function expectImages(response: WorkerResponse) {
  if (!response.ok || !("images" in response)) throw new Error(`expected images, got ${JSON.stringify(response).slice(0, 300)}`);
  return response;
}

describe("validation", () => {
  it("an unknown request type is a 422 on body.type", async () => {
    const error = expectError(await handleWorkerRequest({ type: "upscale" }, deps()));
    expect(error.type).toBe("validation");
    expect(error.type === "validation" && error.issues[0]!.loc).toEqual(["body", "type"]);
  });

  it("the A1111 body is checked with the API's schema", async () => {
    const error = expectError(await handleWorkerRequest({ type: "img2img", request: { prompt: "a cat" } }, deps()));
    // img2img without init images (A1111 api.py: "Init image not found"), reported on the field.
    expect(error.type === "validation" && error.issues.map((i) => i.loc)).toEqual([["body", "init_images"]]);
  });

  it("options are checked too, reported under body.options", async () => {
    const error = expectError(await handleWorkerRequest({ type: "txt2img", request: BODY, options: { jpeg_quality: "best" } }, deps()));
    expect(error.type === "validation" && error.issues.map((i) => i.loc)).toEqual([["body", "options", "jpeg_quality"]]);
  });

  it("a checkpoint the worker does not have is the same 422 the API gives", async () => {
    const error = expectError(
      await handleWorkerRequest({ type: "txt2img", request: BODY, options: { sd_model_checkpoint: "sd_xl_base_1.0" } }, deps()),
    );
    expect(error.type === "validation" && error.issues.map((i) => i.loc)).toEqual([["body", "override_settings", "sd_model_checkpoint"]]);
  });
});

describe("generation", () => {
  it("returns inline PNGs, info and the request echoed after defaults", async () => {
    const response = expectImages(await handleWorkerRequest({ type: "txt2img", request: BODY }, deps()));
    expect(response.images).toHaveLength(2);
    expect(response.info.all_seeds).toEqual([11, 12]);
    // A1111 echoes the request after defaults (docs/a1111-semantics.md §2.4): n_iter defaults to 1, send_images to true.
    expect(response.parameters).toMatchObject({ prompt: "a cat", seed: 11, n_iter: 1, send_images: true });
  });

  it("takes missing options from A1111's defaults and given ones over them", async () => {
    const response = expectImages(await handleWorkerRequest({ type: "txt2img", request: BODY, options: { samples_format: "jpg" } }, deps()));
    const file = Buffer.from((response.images[0] as { base64: string }).base64, "base64");
    expect((await sharp(file).metadata()).format).toBe("jpeg");
  });

  it("reports progress under the job id, when one is given", async () => {
    const updates: [string, ProgressUpdate][] = [];
    await handleWorkerRequest({ type: "txt2img", request: BODY, jobId: "job-7" }, deps({ onProgress: (id, u) => updates.push([id, u]) }));
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every(([id]) => id === "job-7")).toBe(true);
    expect(updates.at(-1)![1].samplingSteps).toBe(3);

    const untracked = vi.fn();
    await handleWorkerRequest({ type: "txt2img", request: BODY }, deps({ onProgress: untracked }));
    expect(untracked).not.toHaveBeenCalled();
  });

  it("asks the job's control whether to stop, and stops when it says interrupt", async () => {
    const steps: number[] = [];
    const control = vi.fn((_jobId: string) => "interrupt" as const);
    const request = { ...BODY, width: 256, height: 256, steps: 150, batch_size: 1 };
    const response = await handleWorkerRequest(
      { type: "txt2img", request, jobId: "job-8" },
      deps({ control, onProgress: (_, u) => steps.push(u.samplingStep) }),
    );
    expect(control).toHaveBeenCalledWith("job-8");
    expect(Math.max(...steps)).toBeLessThan(150);
    // After an interrupt the last latent is decoded and returned with 200 (docs/a1111-semantics.md §9.8).
    expect(expectImages(response).images).toHaveLength(1);
  });
});

describe("where the images go", () => {
  it("inline while their base64 fits the limit", async () => {
    const response = expectImages(await handleWorkerRequest({ type: "txt2img", request: BODY, output: OUTPUT }, deps({ storage })));
    expect(response.images.every((image) => "base64" in image)).toBe(true);
  });

  it("into the bucket, under the prefix, when they do not fit", async () => {
    const output = { inlineLimitBytes: 100, prefix: "outputs/job-2/" };
    const response = expectImages(await handleWorkerRequest({ type: "txt2img", request: BODY, output }, deps({ storage })));
    expect(response.images).toEqual([{ key: "outputs/job-2/0.png" }, { key: "outputs/job-2/1.png" }]);
    const stored = await storage.get("outputs/job-2/1.png");
    expect((await sharp(stored!).metadata()).format).toBe("png");
  });

  it("into the bucket when asked to keep them (save_images), even if they fit", async () => {
    const output = { ...OUTPUT, prefix: "outputs/job-3/", store: true };
    const response = expectImages(await handleWorkerRequest({ type: "txt2img", request: BODY, output }, deps({ storage })));
    expect(response.images).toEqual([{ key: "outputs/job-3/0.png" }, { key: "outputs/job-3/1.png" }]);
  });

  it("nowhere without a bucket: 413 when they do not fit, 503 when asked to keep them", async () => {
    const tooBig = expectError(await handleWorkerRequest({ type: "txt2img", request: BODY, output: { ...OUTPUT, inlineLimitBytes: 100 } }, deps()));
    expect(tooBig).toMatchObject({ type: "api", status: 413 });
    const keep = expectError(await handleWorkerRequest({ type: "txt2img", request: BODY, output: { ...OUTPUT, store: true } }, deps()));
    expect(keep).toMatchObject({ type: "api", status: 503 });
  });
});

describe("base64Length", () => {
  it("is the padded length Buffer writes (RFC 4648 §4: 4 characters per 3 bytes, rounded up)", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 6, 100]) expect(base64Length(n)).toBe(Buffer.alloc(n).toString("base64").length);
  });
});

describe("models", () => {
  it("lists the checkpoints the engine can load", async () => {
    const response = await handleWorkerRequest({ type: "models" }, deps());
    expect(response.ok && "models" in response && response.models.map((m) => m.model_name)).toEqual(["sd1-diffusers"]);
  });
});
