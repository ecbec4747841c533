/**
 * Jobs that take a while, run by the real engine (local backend, tiny generated model) in one instance while
 * another instance, sharing only the bucket, watches and stops them: GET shows live progress, A1111's
 * /sdapi/v1/progress reports the job in A1111's shape (docs/a1111-semantics.md §9.7), /sdapi/v1/interrupt and DELETE cancel it,
 * and a cancelled job keeps no images.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../../../lib/platform/runtime/services.ts";
import { JobCreated, type JobView } from "../../../lib/a1111/schemas/jobs.ts";
import { ProgressResponse } from "../../../lib/a1111/schemas/system.ts";
import { apiClient, type ApiClient } from "../../fixtures/api.ts";
import { TEST_CACHE_DIR, tinyModelDir } from "../../fixtures/engine.ts";
import { testServices } from "../../fixtures/services.ts";
import { createTestBucket, type TestBucket } from "../../setup/s3.ts";
import { finished, JOBS, pollJob, readJob } from "./helpers.ts";

// Long enough on the tiny model (about 0.6 s a batch) to still be sampling after a few polls: 32 batches of 150 steps.
const long = { prompt: "a long job", seed: 1, steps: 150, width: 512, height: 512, n_iter: 32 };
let bucket: TestBucket;
let worker: Services;
let runner: ApiClient;
let watcher: ApiClient;

beforeAll(async () => {
  await tinyModelDir();
  bucket = await createTestBucket();
  worker = testServices({ ...bucket.env, SERENA_BACKEND: "local", SERENA_CACHE_DIR: TEST_CACHE_DIR });
  runner = apiClient(worker);
  // A second instance with no backend at all: everything it knows about the job comes from the bucket.
  watcher = apiClient(testServices(bucket.env));
});

afterAll(async () => {
  await worker.backend.close?.();
});

async function startLongJob(): Promise<{ id: string; running: JobView }> {
  const reply = await runner.post(JOBS, { type: "txt2img", request: long });
  expect(reply.status, reply.text.slice(0, 300)).toBe(202);
  const { id } = JobCreated.parse(reply.json());
  const running = await pollJob(watcher, id, (j) => j.status === "running" && j.progress.samplingStep > 0);
  return { id, running };
}

async function expectCancelledWithNothingKept(id: string) {
  const job = await pollJob(watcher, id, finished);
  expect(job.status).toBe("cancelled");
  expect(job.cancelRequested).toBe(true);
  expect(job.result).toBeNull();
  expect(job.error).toBeNull();
  expect(await bucket.storage.list(`outputs/${id}/`)).toEqual([]);
  expect(await bucket.storage.list("jobs/running/")).toEqual([]);
  return job;
}

describe("a running job seen from another instance", () => {
  it("shows progress in GET and in /sdapi/v1/progress, and /sdapi/v1/interrupt cancels it", async () => {
    const { id, running } = await startLongJob();
    expect(running.progress).toMatchObject({ samplingSteps: 150, jobCount: 32 });
    expect(running.progress.fraction).toBeGreaterThan(0);
    expect(running.progress.fraction).toBeLessThan(1);
    const later = await pollJob(watcher, id, (j) => j.progress.samplingStep > running.progress.samplingStep || j.progress.jobNo > running.progress.jobNo);
    expect(Date.parse(later.timing.updatedAt)).toBeGreaterThan(Date.parse(running.timing.updatedAt));

    const progress = ProgressResponse.parse((await watcher.get("/sdapi/v1/progress")).json());
    expect(progress.state).toMatchObject({ job: "scripts_txt2img", job_count: 32, sampling_steps: 150, interrupted: false, skipped: false });
    // progress = min(1, 0.01 + job_no/job_count + sampling_step/(sampling_steps·job_count)) (docs/a1111-semantics.md §9.7)
    const { job_no, sampling_step } = progress.state;
    expect(progress.progress).toBeCloseTo(Math.min(1, 0.01 + job_no / 32 + sampling_step / (150 * 32)), 10);
    expect(progress.progress).toBeGreaterThan(0);
    expect(progress.progress).toBeLessThan(1);
    expect(progress.eta_relative).toBeGreaterThan(0);
    expect(progress.state.job_timestamp).toBe(running.timing.startedAt!.replace(/[-:T]/g, "").slice(0, 14));

    expect((await watcher.post("/sdapi/v1/interrupt")).json()).toEqual({});
    expect(ProgressResponse.parse((await watcher.get("/sdapi/v1/progress")).json()).state.interrupted).toBe(true);
    const job = await expectCancelledWithNothingKept(id);
    expect(job.timing.durationMs).toBeGreaterThan(0);
    // Nothing runs any more: both instances report A1111's idle state.
    for (const api of [watcher, runner]) expect(ProgressResponse.parse((await api.get("/sdapi/v1/progress")).json())).toMatchObject({ progress: 0, state: { job: "", job_count: 0 } });
  });

  it("stops when cancelled with DELETE; GET shows the request at once and the cancellation when the runner ends", async () => {
    const { id } = await startLongJob();
    const reply = await watcher.send("DELETE", `${JOBS}/${id}`);
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ id, status: "running", cancelRequested: true });
    expect((await readJob(watcher, id)).cancelRequested).toBe(true);
    const started = Date.now();
    await expectCancelledWithNothingKept(id);
    // The runner checks once a second and the engine between steps: long before the 32 batches would end.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
