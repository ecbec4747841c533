/**
 * An async job run on a remote inference tier: the API side (backend `http`) hands the job's id to a real worker
 * process, which records progress in the job's state in the bucket and stops when the job is cancelled there —
 * the same behaviour as when the job runner runs the engine itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../../../lib/platform/runtime/services.ts";
import { JobCreated } from "../../../lib/a1111/schemas/jobs.ts";
import { apiClient, type ApiClient } from "../../fixtures/api.ts";
import { testServices } from "../../fixtures/services.ts";
import { createTestBucket, type TestBucket } from "../../setup/s3.ts";
import { startWorkerProcess, WORKER_TOKEN, type WorkerProcess } from "../worker/worker-process.ts";
import { finished, JOBS, pollJob } from "./helpers.ts";

const long = { prompt: "a long remote job", seed: 1, steps: 150, width: 512, height: 512, n_iter: 32 };
let bucket: TestBucket;
let worker: WorkerProcess;
let services: Services;
let api: ApiClient;

beforeAll(async () => {
  bucket = await createTestBucket();
  const credentials = { AWS_ACCESS_KEY_ID: "serena-test", AWS_SECRET_ACCESS_KEY: "serena-test" };
  worker = await startWorkerProcess({ ...bucket.env, ...credentials });
  services = testServices({ ...bucket.env, SERENA_BACKEND: "http", SERENA_WORKER_URL: worker.url, SERENA_WORKER_TOKEN: WORKER_TOKEN });
  api = apiClient(services);
});

afterAll(async () => {
  worker.child.kill("SIGTERM");
  await worker.exited;
});

describe("a job on a remote worker", () => {
  it("reports the worker's progress and is cancelled by DELETE", async () => {
    const reply = await api.post(JOBS, { type: "txt2img", request: long });
    expect(reply.status, reply.text.slice(0, 300)).toBe(202);
    const { id } = JobCreated.parse(reply.json());
    const running = await pollJob(api, id, (j) => j.status === "running" && j.progress.samplingStep > 0);
    expect(running.progress).toMatchObject({ samplingSteps: 150, jobCount: 32 });

    expect((await api.send("DELETE", `${JOBS}/${id}`)).status).toBe(200);
    const done = await pollJob(api, id, finished);
    expect(done.status).toBe("cancelled");
    expect(done.result).toBeNull();
    // The worker stopped sampling early: far fewer than the 32 batches ran.
    expect(done.progress.jobNo).toBeLessThan(31);
  });

  it("completes a short job with its images in the bucket", async () => {
    const reply = await api.post(JOBS, { type: "txt2img", request: { prompt: "short", seed: 3, steps: 4, width: 64, height: 64 } });
    const { id } = JobCreated.parse(reply.json());
    const done = await pollJob(api, id, finished);
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    const urls = done.result!.image_urls;
    expect(urls).toHaveLength(1);
    const png = Buffer.from(await (await fetch(urls[0]!)).arrayBuffer());
    expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
  });
});
