/**
 * /sdapi/v1/progress, interrupt and skip (docs/a1111-semantics.md §9.7, §9.8): the idle shape, A1111's progress formula, and
 * the state a running generation shows, observed through a backend that reports progress and polls the controls.
 */
import { describe, expect, it } from "vitest";
import type { GenerationHooks, InferenceBackend } from "../../lib/a1111/backend.ts";
import { createFakeBackend } from "../../lib/platform/inference/fake-backend.ts";
import { progressFraction } from "../../lib/a1111/progress.ts";
import { createProgressTracker } from "../../lib/platform/runtime/progress.ts";
import { ProgressResponse } from "../../lib/a1111/schemas/system.ts";
import { apiClient, expectCleanError, type ApiClient } from "../fixtures/api.ts";
import { testServices } from "../fixtures/services.ts";

/** The idle answer (§9.7): no job, progress 0, eta 0, no image. */
function expectIdle(body: unknown) {
  const progress = ProgressResponse.parse(body);
  expect(progress).toMatchObject({ progress: 0, eta_relative: 0, current_image: null, textinfo: null });
  expect(progress.state).toMatchObject({ job_count: 0, interrupted: false, skipped: false });
}

describe("idle", () => {
  const client = apiClient(testServices());

  it("answers progress 0, eta 0 and no image (§9.7)", async () => {
    expectIdle((await client.get("/sdapi/v1/progress")).json());
    expectIdle((await client.get("/sdapi/v1/progress?skip_current_image=true")).json());
  });

  it("refuses a skip_current_image that is not a bool", async () => {
    const reply = await client.get("/sdapi/v1/progress?skip_current_image=perhaps");
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["query", "skip_current_image"]);
  });

  it("interrupt answers {} and skip answers null (§9.8)", async () => {
    const interrupt = await client.post("/sdapi/v1/interrupt");
    expect([interrupt.status, interrupt.json()]).toEqual([200, {}]);
    const skip = await client.post("/sdapi/v1/skip");
    expect([skip.status, skip.json()]).toEqual([200, null]);
    expectIdle((await client.get("/sdapi/v1/progress")).json());
  });
});

describe("A1111's progress formula (§9.7)", () => {
  it("is min(1, 0.01 + job_no/job_count + sampling_step/(sampling_steps·job_count))", () => {
    expect(progressFraction({ jobNo: 0, jobCount: 0, samplingStep: 0, samplingSteps: 0 })).toBe(0);
    expect(progressFraction({ jobNo: 0, jobCount: 1, samplingStep: 0, samplingSteps: 20 })).toBeCloseTo(0.01, 12);
    expect(progressFraction({ jobNo: 1, jobCount: 2, samplingStep: 5, samplingSteps: 10 })).toBeCloseTo(0.76, 12);
    expect(progressFraction({ jobNo: 1, jobCount: 2, samplingStep: 10, samplingSteps: 10 })).toBe(1);
  });

  it("eta_relative is elapsed/progress − elapsed", async () => {
    let now = 1_000_000;
    const tracker = createProgressTracker(null, () => now);
    const { hooks } = tracker.begin("scripts_txt2img", 2, 10);
    hooks.onProgress!({ jobNo: 0, jobCount: 2, samplingStep: 5, samplingSteps: 10 });
    now += 2600;
    // progress 0.26 after 2.6 s: 2.6 / 0.26 − 2.6 = 7.4.
    const snapshot = await tracker.snapshot();
    expect(snapshot.progress).toBeCloseTo(0.26, 12);
    expect(snapshot.eta_relative).toBeCloseTo(7.4, 9);
    expect(snapshot.state.job_timestamp).toBe("19700101001640");
  });
});

/** A backend that stops mid-generation so the test can look at progress, then finishes when released. */
function pausingBackend() {
  const fake = createFakeBackend();
  let release!: () => void;
  let paused!: () => void;
  const pausedAt = new Promise<void>((resolve) => (paused = resolve));
  const controls: Array<ReturnType<NonNullable<GenerationHooks["control"]>>> = [];
  const backend: InferenceBackend = {
    name: "pausing",
    listModels: () => fake.listModels(),
    async generate(job, hooks = {}) {
      hooks.onProgress?.({ jobNo: 1, jobCount: 2, samplingStep: 3, samplingSteps: job.request.steps });
      paused();
      await new Promise<void>((resolve) => (release = resolve));
      controls.push(hooks.control?.() ?? null, hooks.control?.() ?? null);
      return fake.generate(job);
    },
  };
  return { backend, pausedAt, release: () => release(), controls };
}

describe("while a generation runs", () => {
  async function startGeneration() {
    const pausing = pausingBackend();
    const client: ApiClient = apiClient(testServices({}, { backend: pausing.backend }));
    const generation = client.post("/sdapi/v1/txt2img", { prompt: "a cat", seed: 1, steps: 10, n_iter: 2, width: 64, height: 64 });
    await pausing.pausedAt;
    return { client, generation, ...pausing };
  }

  it("reports the job, its step and A1111's progress, then drops back to idle (§9.7)", async () => {
    const { client, generation, release } = await startGeneration();
    const idle = apiClient(testServices());
    const running = ProgressResponse.parse((await client.get("/sdapi/v1/progress")).json());
    expect(running.state).toMatchObject({ job: "scripts_txt2img", job_count: 2, job_no: 1, sampling_step: 3, sampling_steps: 10 });
    expect(running.progress).toBeCloseTo(0.01 + 1 / 2 + 3 / 20, 12);
    release();
    expect((await generation).status).toBe(200);
    expect((await client.get("/sdapi/v1/progress")).json()).toEqual((await idle.get("/sdapi/v1/progress")).json());
  });

  it("interrupt makes the backend's control poll answer 'interrupt' and shows in the state", async () => {
    const { client, generation, release, controls } = await startGeneration();
    await client.post("/sdapi/v1/interrupt");
    expect((await client.get("/sdapi/v1/progress")).json().state.interrupted).toBe(true);
    release();
    expect((await generation).status).toBe(200);
    expect(controls).toEqual(["interrupt", "interrupt"]);
  });

  it("skip is answered once: the next poll goes on", async () => {
    const { client, generation, release, controls } = await startGeneration();
    await client.post("/sdapi/v1/skip");
    release();
    await generation;
    expect(controls).toEqual(["skip", null]);
  });

  it("a failing backend still ends the job", async () => {
    const failing: InferenceBackend = {
      name: "failing",
      listModels: async () => [],
      generate: async () => {
        throw new Error("engine exploded");
      },
    };
    const client = apiClient(testServices({}, { backend: failing }));
    expectCleanError(await client.post("/sdapi/v1/txt2img", { width: 64, height: 64 }), 500);
    expectIdle((await client.get("/sdapi/v1/progress")).json());
  });
});
