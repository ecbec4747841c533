/**
 * The job state machine as pure functions: queued → running → succeeded | failed | cancelled, or queued →
 * cancelled; finished jobs stay finished; a recorded cancel request is never dropped by a merge.
 */
import { describe, expect, it } from "vitest";
import {
  finishJob,
  isAbandoned,
  mergeWrite,
  newJob,
  parseJobInput,
  recordProgress,
  startJob,
  type JobInput,
  type JobState,
} from "../../../lib/platform/jobs/job-state.ts";
import { jobView } from "../../../lib/platform/jobs/view.ts";
import { Txt2ImgRequest } from "../../../lib/a1111/schemas/generation.ts";
import { Options } from "../../../lib/a1111/schemas/options.ts";

const T0 = Date.parse("2026-01-01T00:00:00.000Z");
const input: JobInput = {
  job: { type: "txt2img", request: Txt2ImgRequest.parse({ prompt: "p", steps: 12, n_iter: 3 }), options: Options.parse({}) },
  webhook: "https://example.com/hook",
};
const queued = () => newJob("j1", input, T0);
const update = { jobNo: 1, jobCount: 3, samplingStep: 4, samplingSteps: 12 };

describe("a new job", () => {
  it("is queued with the request's steps and batches, no result, and its webhook pending", () => {
    expect(queued()).toEqual({
      id: "j1",
      type: "txt2img",
      status: "queued",
      cancelRequested: false,
      progress: { samplingStep: 0, samplingSteps: 12, jobNo: 0, jobCount: 3 },
      timing: { createdAt: "2026-01-01T00:00:00.000Z", startedAt: null, finishedAt: null, durationMs: null, updatedAt: "2026-01-01T00:00:00.000Z" },
      result: null,
      error: null,
      webhook: { url: "https://example.com/hook", deliveredAt: null, error: null },
    });
  });
});

describe("transitions", () => {
  it("start, report progress and finish with a duration", () => {
    const running = startJob(queued(), T0 + 1000);
    expect(running.status).toBe("running");
    const progressed = recordProgress(running, update, T0 + 2000);
    expect(progressed.progress).toEqual({ samplingStep: 4, samplingSteps: 12, jobNo: 1, jobCount: 3 });
    expect(progressed.timing.updatedAt).toBe("2026-01-01T00:00:02.000Z");
    const done = finishJob(progressed, { status: "failed", error: { status: 500, detail: "x" } }, T0 + 4500);
    expect(done).toMatchObject({ status: "failed", result: null, error: { status: 500, detail: "x" } });
    expect(done.timing).toMatchObject({ finishedAt: "2026-01-01T00:00:04.500Z", durationMs: 3500 });
  });

  it("change nothing where they do not apply: a second start, progress when not running, a second finish", () => {
    const running = startJob(queued(), T0 + 1000);
    expect(startJob(running, T0 + 5000)).toBe(running);
    expect(recordProgress(queued(), update, T0)).toEqual(queued());
    const cancelled = finishJob(running, { status: "cancelled" }, T0 + 2000);
    expect(finishJob(cancelled, { status: "failed", error: { status: 500, detail: "late" } }, T0 + 3000)).toBe(cancelled);
    expect(recordProgress(cancelled, update, T0 + 3000)).toBe(cancelled);
  });
});

describe("mergeWrite", () => {
  const running = startJob(queued(), T0);
  it("keeps a cancel request recorded in the current state, the incoming one or the marker", () => {
    expect(mergeWrite({ ...running, cancelRequested: true }, running, false).cancelRequested).toBe(true);
    expect(mergeWrite(running, { ...running, cancelRequested: true }, false).cancelRequested).toBe(true);
    expect(mergeWrite(running, running, true).cancelRequested).toBe(true);
    expect(mergeWrite(running, running, false).cancelRequested).toBe(false);
  });

  it("never moves a finished job back to queued or running", () => {
    const cancelled: JobState = finishJob(running, { status: "cancelled" }, T0 + 1);
    expect(mergeWrite(cancelled, recordProgress(running, update, T0 + 2), false)).toBe(cancelled);
  });
});

describe("abandoned jobs", () => {
  it("are running jobs with no write for more than five minutes", () => {
    const running = startJob(queued(), T0);
    expect(isAbandoned(running, T0 + 5 * 60_000)).toBe(false);
    expect(isAbandoned(running, T0 + 5 * 60_000 + 1)).toBe(true);
    expect(isAbandoned(queued(), T0 + 60 * 60_000)).toBe(false);
  });
});

describe("stored inputs", () => {
  it("are validated again with the shared schemas when read", () => {
    expect(parseJobInput(JSON.parse(JSON.stringify(input)))).toEqual(input);
    expect(() => parseJobInput({ job: { type: "txt2img", request: { steps: 0 }, options: {} }, webhook: null })).toThrow();
  });
});

describe("the view of a job", () => {
  it("computes A1111's progress fraction while running and 1 once succeeded", async () => {
    const running = recordProgress(startJob(queued(), T0), update, T0);
    // 0.01 + job_no/job_count + sampling_step/(sampling_steps·job_count) (docs/a1111-semantics.md §9.7)
    expect((await jobView(running, null)).progress.fraction).toBeCloseTo(0.01 + 1 / 3 + 4 / 36, 12);
    const done = finishJob(running, { status: "succeeded", result: { image_keys: [], images: ["aGk="], info: "{}", parameters: {} } }, T0);
    expect((await jobView(done, null)).progress.fraction).toBe(1);
    expect((await jobView(done, null)).result).toEqual({ image_urls: [], images: ["aGk="], info: "{}", parameters: {} });
  });
});
