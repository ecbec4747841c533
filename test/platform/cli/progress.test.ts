/** The progress display's arithmetic and its hook wiring (the bar on a real terminal is checked in generate.test.ts). */
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { GenerationHooks, GenerationJob, InferenceBackend, ProgressUpdate } from "../../../lib/a1111/backend.ts";
import { formatSeconds, lineView, withProgress, type ProgressView } from "../../../lib/platform/cli/progress.ts";

function collect() {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  return { stream, text: () => text };
}

const update = (jobNo: number, samplingStep: number, jobCount = 2, samplingSteps = 4): ProgressUpdate => ({ jobNo, jobCount, samplingStep, samplingSteps });

describe("lineView: one line per finished job", () => {
  it("time from the previous job's end, the wait for its first step, and the rate over its steps after that", () => {
    let t = 0;
    const out = collect();
    const view = lineView(out.stream, () => t);
    view.started();
    for (const [at, u] of [
      [100, update(0, 1)],
      [200, update(0, 2)],
      [300, update(0, 3)],
      [400, update(0, 4)],
      [500, update(1, 1)],
      [600, update(1, 2)],
      [700, update(1, 3)],
      [900, update(1, 4)],
    ] as const) {
      t = at;
      view.step(u);
    }
    view.finished();
    // Job 1: 0.1 s to its first step, then 3 intervals of 100 ms (10 it/s); job 2: from 0.4 s, first step at 0.5 s.
    expect(out.text()).toBe(
      "job 1/2: 4 steps in 0.4 s (first step after 0.1 s, then 10.00 it/s)\njob 2/2: 4 steps in 0.5 s (first step after 0.1 s, then 7.50 it/s)\n",
    );
  });

  it("a repeated update of the same step counts once", () => {
    let t = 0;
    const out = collect();
    const view = lineView(out.stream, () => t);
    for (const at of [0, 50, 100]) {
      t = at;
      view.step(update(0, at === 0 ? 1 : 2, 1, 2));
    }
    view.finished();
    expect(out.text()).toBe("job 1/1: 2 steps in 0.1 s (first step after 0.0 s, then 10.00 it/s)\n");
  });

  it("a fast model behind a slow load: the total, the load before the first step, and the rate add up", () => {
    // The CLI's case that read "8 steps in 1.8 s (1540.21 it/s)": 1.8 s of loading, then 8 steps 0.65 ms apart.
    let t = 0;
    const out = collect();
    const view = lineView(out.stream, () => t);
    view.started();
    for (let step = 1; step <= 8; step++) {
      t = 1795 + (step - 1) * 0.65;
      view.step(update(0, step, 1, 8));
    }
    view.finished();
    expect(out.text()).toBe("job 1/1: 8 steps in 1.8 s (first step after 1.8 s, then 1538.46 it/s)\n");
  });

  it("one step: no rate to give", () => {
    let t = 0;
    const out = collect();
    const view = lineView(out.stream, () => t);
    view.started();
    t = 300;
    view.step(update(0, 1, 1, 1));
    view.finished();
    expect(out.text()).toBe("job 1/1: 1 step in 0.3 s (first step after 0.3 s)\n");
  });

  it("prints nothing for a generation that made no step", () => {
    const out = collect();
    const view = lineView(out.stream);
    view.started();
    view.finished();
    expect(out.text()).toBe("");
  });
});

describe("formatSeconds", () => {
  it.each([
    [0.4, "0s"],
    [59.4, "59s"],
    [61, "1m01s"],
    [3599, "59m59s"],
    [3600 * 2 + 60 * 5 + 10, "2h05m"],
  ])("%d s is %s", (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});

describe("withProgress", () => {
  const job = {} as GenerationJob;
  function recordingView() {
    const events: string[] = [];
    const view: ProgressView = {
      started: () => events.push("started"),
      step: (u) => events.push(`step ${u.jobNo}:${u.samplingStep}`),
      finished: () => events.push("finished"),
    };
    return { events, view };
  }
  const backend = (run: (hooks: GenerationHooks) => Promise<void>): InferenceBackend =>
    ({ name: "test", generate: async (_job: GenerationJob, hooks: GenerationHooks = {}) => (await run(hooks), { images: [], info: {} }), listModels: async () => [] }) as unknown as InferenceBackend;

  it("drives the view and still calls the route's hooks (the progress tracker /progress and interrupt use)", async () => {
    const { events, view } = recordingView();
    const routeEvents: string[] = [];
    const wrapped = withProgress(
      backend(async (hooks) => {
        hooks.onStart?.();
        hooks.onProgress?.(update(0, 1));
        expect(hooks.control?.()).toBe("interrupt");
      }),
      view,
    );
    await wrapped.generate(job, { onStart: () => routeEvents.push("start"), onProgress: (u) => routeEvents.push(`progress ${u.samplingStep}`), control: () => "interrupt" });
    expect(events).toEqual(["started", "step 0:1", "finished"]);
    expect(routeEvents).toEqual(["start", "progress 1"]);
    expect(wrapped.name).toBe("test");
  });

  it("finishes the view when the generation fails", async () => {
    const { events, view } = recordingView();
    const wrapped = withProgress(
      backend(async () => {
        throw new Error("boom");
      }),
      view,
    );
    await expect(wrapped.generate(job)).rejects.toThrow("boom");
    expect(events).toEqual(["started", "finished"]);
  });
});
