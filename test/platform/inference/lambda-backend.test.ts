import os from "node:os";
import path from "node:path";
import { startFauxqs } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../../lib/platform/config.ts";
import { ensureTinyModel } from "../../../lib/engine/tiny-model/index.ts";
import { ApiError, RequestValidationError } from "../../../lib/a1111/errors.ts";
import type { InferenceBackend } from "../../../lib/a1111/backend.ts";
import { createLambdaBackend } from "../../../lib/platform/inference/lambda-backend.ts";
import { createStorage } from "../../../lib/platform/storage/s3-storage.ts";
import { createWorkerDeps } from "../../../lib/platform/worker/deps.ts";
import type { WorkerDeps } from "../../../lib/platform/worker/handle-request.ts";
import { createLambdaHandler } from "../../../lib/platform/worker/lambda-handler.ts";
import { txt2imgJob } from "../../fixtures/engine.ts";
import { startLambdaInvokeServer, type LambdaInvokeServer } from "../../fixtures/lambda-invoke-server.ts";
import { expectPngs, withBody } from "./generation-checks.ts";

const SMALL_JOB = txt2imgJob({ prompt: "a cat", seed: 7, steps: 3, width: 64, height: 64, batch_size: 2 });
const BUCKET = "serena-outputs";
/** Local endpoints do not check signatures; the SDK still needs something to sign with. */
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

let lambda: LambdaInvokeServer;
let s3: Awaited<ReturnType<typeof startFauxqs>>;
let deps: WorkerDeps;

beforeAll(async () => {
  // The worker's S3 client takes its credentials from the environment, as it does in a Lambda.
  vi.stubEnv("AWS_ACCESS_KEY_ID", credentials.accessKeyId);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey);
  s3 = await startFauxqs({ port: 0, logger: false });
  s3.createBucket(BUCKET);
  const cacheDir = path.join(os.tmpdir(), "serena-test-cache");
  const workerConfig = parseConfig({
    SERENA_CACHE_DIR: cacheDir,
    SERENA_MODEL_DIR: await ensureTinyModel(cacheDir, "sd1-diffusers"),
    SERENA_BUCKET: BUCKET,
    SERENA_S3_ENDPOINT: s3.address,
  });
  deps = await createWorkerDeps(workerConfig);
  lambda = await startLambdaInvokeServer({
    "serena-inference": createLambdaHandler(async () => deps),
    "serena-broken": createLambdaHandler(() => Promise.reject(new Error("model download failed: s3://models/sd15/ is empty"))),
    "serena-slow": () => new Promise((resolve) => setTimeout(() => resolve({ ok: true, models: [] }), 2000)),
  });
});

afterAll(async () => {
  await lambda.close();
  await deps.backend.close?.();
  await s3.stop();
  vi.unstubAllEnvs();
});

function backendFor(functionName: string, env: Record<string, string> = {}, inlineLimitBytes = 5_500_000): InferenceBackend {
  const config = parseConfig({ SERENA_WORKER_FUNCTION: functionName, SERENA_LAMBDA_ENDPOINT: lambda.url, ...env });
  return createLambdaBackend(config.worker, { region: config.storage.region, inlineLimitBytes, credentials });
}

describe("a generation through the lambda backend", () => {
  it("invokes the worker's handler and returns its PNGs and info", async () => {
    const output = await backendFor("serena-inference").generate(SMALL_JOB);
    await expectPngs(output, 2, { width: 64, height: 64 });
    expect(output.info.all_seeds).toEqual([7, 8]);
  });

  it("lists the worker's models", async () => {
    expect((await backendFor("serena-inference").listModels()).map((m) => m.model_name)).toEqual(["sd1-diffusers"]);
  });

  it("gets keys in the bucket for images past the inline limit, and the stored files are the PNGs", async () => {
    const output = await backendFor("serena-inference", {}, 1000).generate(SMALL_JOB);
    expect(output.images).toEqual([]);
    expect(output.storedImageKeys).toHaveLength(2);
    expect(output.storedImageKeys![0]).toMatch(/^outputs\/[0-9a-f-]{36}\/0\.png$/);
    const storage = createStorage({ bucket: BUCKET, endpoint: s3.address, region: "us-east-1", presignExpiresSeconds: 60 })!;
    const files = await Promise.all(output.storedImageKeys!.map(async (key) => (await storage.get(key))!));
    await expectPngs({ ...output, images: files }, 2, { width: 64, height: 64 });
  });
});

describe("errors through the lambda backend", () => {
  it("a bad request is the worker's typed 422", async () => {
    const error = await backendFor("serena-inference").generate(withBody(SMALL_JOB, { steps: "many" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    // pydantic v1's message for a non-integer (docs/a1111-semantics.md §3.1).
    expect((error as RequestValidationError).issues).toEqual([{ loc: ["body", "steps"], msg: "value is not a valid integer", type: "type_error.integer" }]);
  });

  it("a handler that throws is an Unhandled function error: 502 with its message, no stack, not retried", async () => {
    const error = await backendFor("serena-broken", { SERENA_WORKER_RETRIES: "2" }).listModels().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(502);
    expect((error as ApiError).message).toBe(
      "The inference function serena-broken failed (Unhandled): Error: model download failed: s3://models/sd15/ is empty",
    );
    expect(lambda.invocations.get("serena-broken")).toBe(1);
  });

  it("a function that does not exist is a 502 naming Lambda's error", async () => {
    const error = await backendFor("serena-missing").listModels().catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(502);
    expect((error as ApiError).message).toMatch(/ResourceNotFoundException: Function not found: serena-missing/);
  });

  it("a request over Lambda's 6 MB payload limit is a 413", async () => {
    const job = withBody(SMALL_JOB, { prompt: "x".repeat(7 * 1024 * 1024) });
    const error = await backendFor("serena-inference").generate(job).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(413);
  });

  it("a function slower than SERENA_WORKER_TIMEOUT_MS is a 504", async () => {
    const error = await backendFor("serena-slow", { SERENA_WORKER_TIMEOUT_MS: "300" }).listModels().catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(504);
  });
});
