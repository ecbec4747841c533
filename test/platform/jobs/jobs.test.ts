/**
 * `/serena/v1/jobs` end to end through the handlers, with job state in a real S3-compatible bucket and the CI fake
 * generating (it is deterministic, so a job's result can be compared with what the synchronous route answers):
 * submit (202), poll, result URLs fetched over HTTP, validation (422 naming request.<field>), 404, 409, cancel
 * while queued, webhooks, and the in-memory store used without a bucket.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPngText } from "../../../lib/a1111/images/png-text.ts";
import { HTTPErrorBody } from "../../../lib/a1111/schemas/errors.ts";
import { GenerationResponse } from "../../../lib/a1111/schemas/generation-response.ts";
import { JobCreated, JobView } from "../../../lib/a1111/schemas/jobs.ts";
import { apiClient, expectCleanError, type ApiClient } from "../../fixtures/api.ts";
import { dataUri, gradientPng } from "../../fixtures/images.ts";
import { queuedJobPath } from "../../fixtures/sample-requests.ts";
import { ciServices, testServices } from "../../fixtures/services.ts";
import { createTestBucket, type TestBucket } from "../../setup/s3.ts";
import { finished, JOBS, pollJob, readJob, startLocalEndpoint, type LocalEndpoint } from "./helpers.ts";

const request = { prompt: "a lighthouse at dusk", seed: 21, steps: 6, batch_size: 2, n_iter: 2, width: 96, height: 64 };
let bucket: TestBucket;
let client: ApiClient;

beforeAll(async () => {
  bucket = await createTestBucket();
  client = apiClient(ciServices(bucket.env));
});

async function submit(body: unknown, api = client): Promise<string> {
  const reply = await api.post(JOBS, body);
  expect(reply.status, reply.text.slice(0, 400)).toBe(202);
  const { id } = JobCreated.parse(reply.json());
  expect(reply.headers.location).toBe(`${JOBS}/${id}`);
  return id;
}

async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("image/png");
  return Buffer.from(await res.arrayBuffer());
}

describe("a txt2img job from submit to result", () => {
  let id: string;
  let job: JobView;
  beforeAll(async () => {
    id = await submit({ type: "txt2img", request });
    job = await pollJob(client, id, finished);
  });

  it("succeeds with the same images, info and parameters as POST /sdapi/v1/txt2img", async () => {
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.error).toBeNull();
    const sync = GenerationResponse.parse((await client.post("/sdapi/v1/txt2img", request)).json());
    expect(job.result!.info).toBe(sync.info);
    expect(job.result!.parameters).toEqual(sync.parameters);
    expect(job.result).not.toHaveProperty("images");
    const files = await Promise.all(job.result!.image_urls.map(download));
    expect(files.map((f) => f.toString("base64"))).toEqual(sync.images);
    expect(readPngText(files[3]!).parameters).toBe(JSON.parse(sync.info).infotexts[3]);
  });

  it("reports the last progress, whole; and start, finish and duration", () => {
    // steps per batch, 2 batches (n_iter); the last report is batch 1 (0-based) at its last step.
    expect(job.progress).toEqual({ jobNo: 1, jobCount: 2, samplingStep: 6, samplingSteps: 6, fraction: 1 });
    const { createdAt, startedAt, finishedAt, durationMs } = job.timing;
    expect(Date.parse(startedAt!)).toBeGreaterThanOrEqual(Date.parse(createdAt));
    expect(durationMs).toBe(Date.parse(finishedAt!) - Date.parse(startedAt!));
    expect(job.cancelRequested).toBe(false);
  });

  it("keeps the state at jobs/<id>.json, the request beside it, the images under outputs/<id>/, and no running marker", async () => {
    expect(await bucket.storage.getJson<{ status: string }>(`jobs/${id}.json`)).toMatchObject({ id, status: "succeeded" });
    expect(await bucket.storage.getJson(`jobs/${id}/input.json`)).toMatchObject({ job: { type: "txt2img", request: { prompt: request.prompt } } });
    expect(await bucket.storage.list(`outputs/${id}/`)).toEqual([0, 1, 2, 3].map((n) => `outputs/${id}/${n}.png`));
    expect(await bucket.storage.list("jobs/running/")).toEqual([]);
  });

  it("is answered the same by another instance sharing the bucket", async () => {
    const other = await readJob(apiClient(ciServices(bucket.env)), id);
    expect({ ...other, result: null }).toEqual({ ...job, result: null });
    expect(other.result!.info).toBe(job.result!.info);
  });

  it("presigns fresh URLs on every read", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const again = await readJob(client, id);
    expect(again.result!.image_urls).not.toEqual(job.result!.image_urls);
    await download(again.result!.image_urls[0]!);
  });
});

describe("an img2img job", () => {
  it("runs with the init image it was given", async () => {
    const init = dataUri(await gradientPng(96, 64));
    const id = await submit({ type: "img2img", request: { prompt: "a map", seed: 3, steps: 4, init_images: [init], denoising_strength: 0.4 } });
    const job = await pollJob(client, id, finished);
    expect(job.status).toBe("succeeded");
    expect(job.type).toBe("img2img");
    expect(JSON.parse(job.result!.info).denoising_strength).toBe(0.4);
    // parameters echo the request as A1111 does: without the init images unless include_init_images.
    expect(job.result!.parameters.init_images).toBeNull();
  });
});

describe("submitting an invalid job", () => {
  async function expect422(body: unknown, loc: (string | number)[]) {
    const before = await bucket.storage.list("jobs/");
    const reply = await client.post(JOBS, body);
    expectCleanError(reply, 422);
    expect(reply.json().detail.map((d: { loc: unknown }) => d.loc)).toContainEqual(loc);
    expect(await bucket.storage.list("jobs/")).toEqual(before);
  }

  it("is a 422 naming request.<field>, as the synchronous route names <field>, and nothing is stored", async () => {
    await expect422({ type: "txt2img", request: { ...request, steps: "many" } }, ["body", "request", "steps"]);
    await expect422({ type: "txt2img", request: { ...request, override_settings: { samples_format: "tiff" } } }, [
      "body",
      "request",
      "override_settings",
      "samples_format",
    ]);
    await expect422({ type: "img2img", request: { init_images: ["data:image/png;base64,bm90IGFuIGltYWdl"] } }, ["body", "request", "init_images", 0]);
  });

  it("is a 422 for inputs the job could not run with: an 'Only masked' mask of another size, a broken latent mask", async () => {
    const init = `data:image/png;base64,${(await gradientPng(32, 32)).toString("base64")}`;
    const smaller = `data:image/png;base64,${(await gradientPng(16, 16)).toString("base64")}`;
    await expect422({ type: "img2img", request: { init_images: [init], mask: smaller } }, ["body", "request", "mask"]);
    await expect422({ type: "img2img", request: { init_images: [init], mask: init, latent_mask: "%%%" } }, ["body", "request", "latent_mask"]);
  });

  it("is a 422 for an unknown type, a missing request or a webhook that is not http(s)", async () => {
    await expect422({ type: "upscale", request }, ["body", "type"]);
    await expect422({ type: "txt2img" }, ["body", "request"]);
    await expect422({ type: "txt2img", request, webhook: "ftp://example.com/hook" }, ["body", "webhook"]);
  });
});

describe("job ids", () => {
  it("answers 404 in A1111's error shape for an unknown id, a malformed id, and a cancel of either", async () => {
    for (const path of [`${JOBS}/00000000-0000-4000-8000-000000000000`, `${JOBS}/not-a-job`]) {
      for (const method of ["GET", "DELETE"]) {
        const reply = await client.send(method, path);
        expectCleanError(reply, 404);
        expect(HTTPErrorBody.parse(reply.json()).detail).toBe(`job ${path.slice(JOBS.length + 1)} not found`);
      }
    }
  });
});

describe("cancelling", () => {
  it("cancels a queued job at once: status cancelled, no result, finished without having started", async () => {
    const services = ciServices(bucket.env);
    const path = await queuedJobPath(services);
    const reply = await apiClient(services).send("DELETE", path);
    expect(reply.status).toBe(200);
    const job = JobView.parse(reply.json());
    expect(job.status).toBe("cancelled");
    expect(job.cancelRequested).toBe(true);
    expect(job.result).toBeNull();
    expect(job.timing.startedAt).toBeNull();
    expect(job.timing.finishedAt).not.toBeNull();
    expect(job.timing.durationMs).toBeNull();
  });

  it("answers 409 for a job that has already finished", async () => {
    const id = await submit({ type: "txt2img", request });
    await pollJob(client, id, finished);
    const reply = await client.send("DELETE", `${JOBS}/${id}`);
    expectCleanError(reply, 409);
    expect(HTTPErrorBody.parse(reply.json()).detail).toBe(`job ${id} has already succeeded`);
    const services = ciServices(bucket.env);
    const queued = await queuedJobPath(services);
    await apiClient(services).send("DELETE", queued);
    expect(HTTPErrorBody.parse((await apiClient(services).send("DELETE", queued)).json()).detail).toMatch(/has already been cancelled$/);
  });
});

/** Webhooks to a receiver on loopback over http need the development settings (docs/security.md). */
const WEBHOOK_DEV = { SERENA_WEBHOOK_SECRET: "a-test-secret-of-enough-length", SERENA_WEBHOOK_ALLOW_HTTP: "true", SERENA_WEBHOOK_ALLOW_PRIVATE: "true" };

describe("webhooks", () => {
  let hook: LocalEndpoint;
  let failing: LocalEndpoint;
  let devClient: ApiClient;
  beforeAll(async () => {
    hook = await startLocalEndpoint();
    failing = await startLocalEndpoint((_req, res) => ((res.statusCode = 500), res.end("no")));
    devClient = apiClient(ciServices({ ...bucket.env, ...WEBHOOK_DEV }));
  });
  afterAll(async () => {
    await Promise.all([hook.close(), failing.close()]);
  });

  it("receives one POST of the final state, the same JSON as GET, and the delivery is recorded", async () => {
    const delivered = hook.next();
    const id = await submit({ type: "txt2img", request, webhook: `${hook.url}/serena?token=abc` }, devClient);
    const received = await delivered;
    expect(received.method).toBe("POST");
    expect(received.url).toBe("/serena?token=abc");
    expect(received.headers["content-type"]).toBe("application/json");
    expect(received.headers["x-serena-job-id"]).toBe(id);
    const payload = JobView.parse(JSON.parse(received.body));
    expect(payload.status).toBe("succeeded");
    await download(payload.result!.image_urls[0]!);
    expect(received.headers["x-serena-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const job = await pollJob(devClient, id, (j) => j.webhook?.deliveredAt !== null);
    expect(job.webhook).toMatchObject({ url: `${hook.url}/serena?token=abc`, error: null });
    expect(hook.received).toHaveLength(1);
  });

  it("records that a delivery failed, after its retries, without saying why (that goes to the log)", async () => {
    const id = await submit({ type: "txt2img", request, webhook: failing.url }, devClient);
    const job = await pollJob(devClient, id, (j) => j.webhook?.error !== null);
    expect(job.webhook).toMatchObject({ deliveredAt: null, error: "not delivered after 3 attempts" });
    expect(failing.received).toHaveLength(3);
    expect(job.status).toBe("succeeded");
  });

  it("refuses a loopback receiver with the default settings, and never calls it", async () => {
    const before = hook.received.length;
    const reply = await apiClient(ciServices({ ...bucket.env, SERENA_WEBHOOK_SECRET: WEBHOOK_DEV.SERENA_WEBHOOK_SECRET })).post(JOBS, {
      type: "txt2img",
      request,
      webhook: `https://127.0.0.1:${new URL(hook.url).port}/hook`,
    });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0]).toMatchObject({ loc: ["body", "webhook"], msg: expect.stringMatching(/loopback/) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(hook.received).toHaveLength(before);
  });
});

describe("without a bucket", () => {
  it("keeps jobs in memory and returns the images as base64 in the result", async () => {
    const memory = apiClient(ciServices());
    const id = await submit({ type: "txt2img", request }, memory);
    const job = await pollJob(memory, id, finished);
    expect(job.status).toBe("succeeded");
    expect(job.result!.image_urls).toEqual([]);
    const sync = GenerationResponse.parse((await memory.post("/sdapi/v1/txt2img", request)).json());
    expect(job.result!.images).toEqual(sync.images);
    // Another instance has its own memory: jobs are per process without a bucket.
    expectCleanError(await apiClient(ciServices()).get(`${JOBS}/${id}`), 404);
  });
});

describe("a job whose backend fails", () => {
  it("fails with the backend's status and message and has no result", async () => {
    // Without CI the route keeps the configured backend, which here is "none" (503).
    const noFake = apiClient(testServices(bucket.env));
    const id = await submit({ type: "txt2img", request }, noFake);
    const job = await pollJob(noFake, id, finished);
    expect(job.status).toBe("failed");
    expect(job.error).toEqual({ status: 503, detail: expect.stringContaining("No inference backend is configured") });
    expect(job.result).toBeNull();
    expect(job.progress.fraction).toBe(0);
  });
});
