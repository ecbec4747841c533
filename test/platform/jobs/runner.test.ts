/**
 * The job runner beyond the happy path: started through an asynchronous Lambda invocation (a local endpoint
 * speaking Lambda's Invoke API runs functions/job-runner's handler), a runner that cannot be invoked, the time
 * limit, a second delivery of the same event, a runner that died, internal errors, and a cancel racing a write.
 */
import type http from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import type { GenerationJob, InferenceBackend } from "../../../lib/a1111/backend.ts";
import { createFakeBackend } from "../../../lib/platform/inference/fake-backend.ts";
import { newJob, recordProgress, startJob, type JobInput } from "../../../lib/platform/jobs/job-state.ts";
import { createJobRunnerHandler } from "../../../lib/platform/jobs/runner-handler.ts";
import { runJob } from "../../../lib/platform/jobs/runner.ts";
import { createS3JobStore } from "../../../lib/platform/jobs/s3-job-store.ts";
import type { Services } from "../../../lib/platform/runtime/services.ts";
import { HTTPErrorBody } from "../../../lib/a1111/schemas/errors.ts";
import { Txt2ImgRequest } from "../../../lib/a1111/schemas/generation.ts";
import { JobCreated } from "../../../lib/a1111/schemas/jobs.ts";
import { Options } from "../../../lib/a1111/schemas/options.ts";
import type { ObjectStorage } from "../../../lib/platform/storage/object-storage.ts";
import { apiClient, expectCleanError } from "../../fixtures/api.ts";
import { lambdaContext } from "../../fixtures/events.ts";
import { ciServices, testServices } from "../../fixtures/services.ts";
import { createTestBucket, type TestBucket } from "../../setup/s3.ts";
import { finished, JOBS, pollJob, readJob, startLocalEndpoint, type ReceivedRequest } from "./helpers.ts";

const request = { prompt: "a quay", seed: 4, steps: 5, width: 64, height: 64 };
let bucket: TestBucket;

beforeAll(async () => {
  bucket = await createTestBucket();
});

const txt2img = (body: Record<string, unknown> = request): GenerationJob => ({ type: "txt2img", request: Txt2ImgRequest.parse(body), options: Options.parse({}) });

/** A job stored as queued, as POST /serena/v1/jobs leaves it. */
async function storeJob(services: Services, body: Record<string, unknown> = request): Promise<string> {
  const input: JobInput = { job: txt2img(body), webhook: null };
  const id = crypto.randomUUID();
  await services.jobStore.create(newJob(id, input, Date.now()), input);
  return id;
}

/** The fake backend, counting its calls. */
function countingBackend(base: InferenceBackend = createFakeBackend()) {
  const calls = { count: 0 };
  const backend: InferenceBackend = { ...base, generate: (job, hooks) => (calls.count++, base.generate(job, hooks)) };
  return { backend, calls };
}

describe("with SERENA_JOB_RUNNER_FUNCTION", () => {
  it("invokes the runner function asynchronously with {jobId}, and the runner runs the job", async () => {
    const runnerServices = ciServices(bucket.env);
    const handler = createJobRunnerHandler(() => runnerServices);
    const runs: Promise<unknown>[] = [];
    // Lambda answers an "Event" invocation with 202 and an empty body, then runs the function (Invoke API reference).
    const lambda = await startLocalEndpoint((req: ReceivedRequest, res: http.ServerResponse) => {
      res.statusCode = 202;
      res.end();
      runs.push(handler(JSON.parse(req.body), lambdaContext("serena-job-runner", 900)));
    });
    const api = apiClient(ciServices({ ...bucket.env, SERENA_JOB_RUNNER_FUNCTION: "serena-job-runner", SERENA_LAMBDA_ENDPOINT: lambda.url }));
    const reply = await api.post(JOBS, { type: "txt2img", request });
    expect(reply.status, reply.text).toBe(202);
    const { id } = JobCreated.parse(reply.json());
    expect(lambda.received).toHaveLength(1);
    const [invocation] = lambda.received;
    expect(invocation!.url).toBe("/2015-03-31/functions/serena-job-runner/invocations");
    expect(invocation!.headers["x-amz-invocation-type"]).toBe("Event");
    expect(JSON.parse(invocation!.body)).toEqual({ jobId: id });
    expect(await Promise.all(runs)).toEqual([{ jobId: id, status: "succeeded" }]);
    expect((await readJob(api, id)).result!.image_urls).toHaveLength(1);
    await lambda.close();
  });

  it("answers 503 and records the job as failed when the runner cannot be invoked", async () => {
    const lambda = await startLocalEndpoint((_req, res) => {
      res.writeHead(404, { "content-type": "application/json", "x-amzn-errortype": "ResourceNotFoundException" });
      res.end(JSON.stringify({ Type: "User", message: "Function not found: serena-job-runner" }));
    });
    const services = ciServices({ ...bucket.env, SERENA_JOB_RUNNER_FUNCTION: "serena-job-runner", SERENA_LAMBDA_ENDPOINT: lambda.url });
    const reply = await apiClient(services).post(JOBS, { type: "txt2img", request });
    expectCleanError(reply, 503);
    expect(HTTPErrorBody.parse(reply.json()).detail).toMatch(/^could not start the job runner serena-job-runner: Function not found/);
    const states = (await bucket.storage.list("jobs/")).filter((k) => /^jobs\/[0-9a-f-]{36}\.json$/.test(k));
    const failed = await Promise.all(states.map((k) => bucket.storage.getJson<{ status: string; error: { status: number } | null }>(k)));
    expect(failed.filter((s) => s!.status === "failed" && s!.error?.status === 503)).toHaveLength(1);
    await lambda.close();
  });

  it("is refused without a bucket, where the runner could not find the job", async () => {
    const reply = await apiClient(ciServices({ SERENA_JOB_RUNNER_FUNCTION: "serena-job-runner" })).post(JOBS, { type: "txt2img", request });
    expectCleanError(reply, 503);
    expect(HTTPErrorBody.parse(reply.json()).detail).toContain("needs a bucket (SERENA_BUCKET)");
  });

  it("rejects an event without a job id", async () => {
    const handler = createJobRunnerHandler(() => ciServices(bucket.env));
    await expect(handler({ job: "x" }, lambdaContext())).rejects.toThrow();
  });
});

describe("runJob", () => {
  it("runs a job once when its event is delivered again later (Lambda delivers asynchronous events at least once)", async () => {
    const { backend, calls } = countingBackend();
    const services = testServices(bucket.env, { backend });
    const id = await storeJob(services);
    const first = await runJob(id, services);
    const again = await runJob(id, services);
    expect(first?.status).toBe("succeeded");
    expect(again).toEqual(first);
    expect(calls.count).toBe(1);
    expect(await runJob("00000000-0000-4000-8000-000000000000", services)).toBeNull();
  });

  it("fails with 504 when the job outlives the runner's deadline, keeping no images", async () => {
    const services = testServices(bucket.env, { backend: createFakeBackend() });
    const id = await storeJob(services);
    const job = await runJob(id, services, { deadline: Date.now() - 1 });
    expect(job).toMatchObject({ status: "failed", result: null, error: { status: 504 } });
    expect(await bucket.storage.list(`outputs/${id}/`)).toEqual([]);
  });

  it("reports an unexpected error as a 500 that points to the log, not the error's text", async () => {
    const broken: InferenceBackend = { ...createFakeBackend(), generate: async () => Promise.reject(new Error("secret stack detail")) };
    const services = testServices(bucket.env, { backend: broken });
    const id = await storeJob(services);
    const job = await runJob(id, services);
    expect(job?.error).toEqual({ status: 500, detail: `internal error; the server log has the details under job id ${id}` });
  });

  it("writes progress while the backend works, at most once per poll interval", async () => {
    const writes: string[] = [];
    const recording: ObjectStorage = { ...bucket.storage, putJson: (key, value) => (writes.push(key), bucket.storage.putJson(key, value)) };
    const slow: InferenceBackend = {
      ...createFakeBackend(),
      async generate(job, hooks) {
        for (let step = 1; step <= 40; step++) {
          hooks?.onProgress?.({ jobNo: 0, jobCount: 1, samplingStep: step, samplingSteps: 40 });
          await new Promise((r) => setTimeout(r, 10));
        }
        return createFakeBackend().generate(job, hooks);
      },
    };
    const services = testServices(bucket.env, { backend: slow, jobStore: createS3JobStore(recording) });
    const id = await storeJob(services);
    writes.length = 0;
    await runJob(id, services, { pollMs: 100 });
    // About 400 ms of progress reports at one write per 100 ms, plus the start and the end: never one per step.
    const stateWrites = writes.filter((k) => k === `jobs/${id}.json`).length;
    expect(stateWrites).toBeGreaterThanOrEqual(4);
    expect(stateWrites).toBeLessThan(10);
  });
});

describe("a runner whose backend reports no progress (a remote worker)", () => {
  it("still rewrites the job once per heartbeat, so that it is never taken for dead", async () => {
    const writes: number[] = [];
    const recording: ObjectStorage = { ...bucket.storage, putJson: (key, value) => (writes.push(Date.now()), bucket.storage.putJson(key, value)) };
    const silent: InferenceBackend = {
      ...createFakeBackend(),
      async generate(job) {
        await new Promise((r) => setTimeout(r, 500));
        return createFakeBackend().generate(job);
      },
    };
    const services = testServices(bucket.env, { backend: silent, jobStore: createS3JobStore(recording) });
    const id = await storeJob(services);
    writes.length = 0;
    const job = await runJob(id, services, { pollMs: 20, heartbeatMs: 100 });
    // start + about 4 heartbeats in 500 ms + the end; without heartbeats it would be 2.
    expect(writes.length).toBeGreaterThanOrEqual(5);
    expect(job!.progress).toEqual({ jobNo: 0, jobCount: 1, samplingStep: 0, samplingSteps: 5 });
  });
});

describe("a job whose runner died", () => {
  it("is reported failed once nothing has been written for five minutes, and drops out of /progress", async () => {
    const services = ciServices(bucket.env);
    const id = await storeJob(services);
    const longAgo = Date.now() - 6 * 60_000;
    await services.jobStore.update(id, (j) => recordProgress(startJob(j, longAgo), null, longAgo));
    expect((await bucket.storage.list("jobs/running/")).some((k) => k.endsWith(id))).toBe(true);
    const api = apiClient(services);
    expect((await api.get("/sdapi/v1/progress")).json().state.job).toBe("");
    const job = await readJob(api, id);
    expect(job.status).toBe("failed");
    expect(job.error!.detail).toMatch(/^the job runner stopped without finishing/);
    expect(await bucket.storage.list("jobs/running/")).toEqual([]);
  });
});

describe("a cancel racing a progress write", () => {
  it("survives in the cancel marker and is written back into the state by the next write", async () => {
    let open!: () => void;
    let gate: Promise<void> | null = new Promise<void>((resolve) => (open = resolve));
    const slowWrites: ObjectStorage = {
      ...bucket.storage,
      putJson: async (key, value) => {
        if (gate) await gate;
        return bucket.storage.putJson(key, value);
      },
    };
    const api = testServices(bucket.env);
    const id = await storeJob(api);
    const runnerStore = createS3JobStore(slowWrites);
    // The runner has read the job (no cancel yet) and is about to write it ...
    const write = runnerStore.update(id, (j) => recordProgress(startJob(j, Date.now()), { jobNo: 0, jobCount: 1, samplingStep: 1, samplingSteps: 5 }, Date.now()));
    await new Promise((r) => setTimeout(r, 100));
    // ... when DELETE records the cancel ...
    await api.jobStore.requestCancel(id);
    await api.jobStore.update(id, (j) => ({ ...j, cancelRequested: true }));
    gate = null;
    open();
    await write;
    // ... and its stale write lands last. The marker still says so, and the runner's next write restores the flag.
    expect(await runnerStore.cancelRequested(id)).toBe(true);
    expect((await runnerStore.update(id, (j) => j))!.cancelRequested).toBe(true);
    expect((await api.jobStore.get(id))!.cancelRequested).toBe(true);
  });
});

describe("a job finished by another process", () => {
  it("is not run again when it was cancelled before its runner started", async () => {
    const { backend, calls } = countingBackend();
    const services = ciServices(bucket.env, { backend });
    const api = apiClient(services);
    const id = await storeJob(services);
    expect((await api.send("DELETE", `${JOBS}/${id}`)).json().status).toBe("cancelled");
    expect((await runJob(id, services))?.status).toBe("cancelled");
    expect(calls.count).toBe(0);
    expect((await pollJob(api, id, finished)).result).toBeNull();
  });
});
