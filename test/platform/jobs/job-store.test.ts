/**
 * Both job stores against one specification: what a store must keep (state and input apart), how it merges
 * writes (cancel requests kept, finished jobs final), and which jobs it lists as running, newest first.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { finishJob, newJob, recordProgress, startJob, type JobInput } from "../../../lib/platform/jobs/job-state.ts";
import { createMemoryJobStore, type JobStore } from "../../../lib/platform/jobs/job-store.ts";
import { createS3JobStore } from "../../../lib/platform/jobs/s3-job-store.ts";
import { Txt2ImgRequest } from "../../../lib/a1111/schemas/generation.ts";
import { Options } from "../../../lib/a1111/schemas/options.ts";
import { createTestBucket } from "../../setup/s3.ts";

const input: JobInput = { job: { type: "txt2img", request: Txt2ImgRequest.parse({ prompt: "p", steps: 9 }), options: Options.parse({}) }, webhook: null };
const T0 = Date.parse("2026-03-01T10:00:00.000Z");

const stores: [string, () => Promise<JobStore>][] = [
  ["in memory", async () => createMemoryJobStore()],
  ["in the bucket", async () => createS3JobStore((await createTestBucket()).storage)],
];

describe.each(stores)("the job store %s", (_name, makeStore) => {
  let store: JobStore;
  beforeAll(async () => {
    store = await makeStore();
  });

  const create = async (at = T0) => {
    const id = crypto.randomUUID();
    await store.create(newJob(id, input, at), input);
    return id;
  };

  it("keeps a job's state and its input, and knows no other", async () => {
    const id = await create();
    expect(await store.get(id)).toEqual(newJob(id, input, T0));
    expect(await store.input(id)).toEqual(input);
    expect(await store.get(crypto.randomUUID())).toBeNull();
    expect(await store.input(crypto.randomUUID())).toBeNull();
    expect(await store.update(crypto.randomUUID(), (j) => j)).toBeNull();
  });

  it("hands out copies: changing a returned job changes nothing stored", async () => {
    const id = await create();
    const job = (await store.get(id))!;
    job.progress.samplingStep = 99;
    expect((await store.get(id))!.progress.samplingStep).toBe(0);
  });

  it("keeps a cancel request through later writes that do not carry it", async () => {
    const id = await create();
    await store.update(id, (j) => startJob(j, T0));
    expect(await store.cancelRequested(id)).toBe(false);
    await store.requestCancel(id);
    expect(await store.cancelRequested(id)).toBe(true);
    const after = await store.update(id, (j) => ({ ...recordProgress(j, { jobNo: 0, jobCount: 1, samplingStep: 3, samplingSteps: 9 }, T0 + 1), cancelRequested: false }));
    expect(after).toMatchObject({ cancelRequested: true, progress: { samplingStep: 3 } });
  });

  it("lists running jobs, the most recently started first, and forgets them when they end", async () => {
    const older = await create();
    const newer = await create();
    const queued = await create();
    await store.update(older, (j) => startJob(j, T0 + 1000));
    await store.update(newer, (j) => startJob(j, T0 + 2000));
    const running = (await store.running()).map((j) => j.id);
    expect(running.indexOf(newer)).toBeLessThan(running.indexOf(older));
    expect(running).not.toContain(queued);
    await store.update(newer, (j) => finishJob(j, { status: "cancelled" }, T0 + 3000));
    expect((await store.running()).map((j) => j.id)).not.toContain(newer);
    expect((await store.running()).map((j) => j.id)).toContain(older);
  });
});
