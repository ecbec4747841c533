/**
 * Progress of a generation on the terminal, from the backend's progress hooks (the updates `/sdapi/v1/progress`
 * reads): a bar with steps, it/s and ETA on a terminal (cli-progress, redrawn in place), one line per finished job
 * otherwise, so logs and pipes get no control characters. A "job" is A1111's: one batch of one sampling pass.
 */
import { SingleBar } from "cli-progress";
import type { GenerationHooks, InferenceBackend, ProgressUpdate } from "../../a1111/backend.ts";

export interface ProgressView {
  /** The backend was asked to generate; the model may still have to be found and loaded. */
  started(): void;
  step(update: ProgressUpdate): void;
  /** The generation returned (or failed): the bar is finished and removed from the render loop. */
  finished(): void;
}

/** Steps per second over the recent steps, which follows a change of speed (a hires pass) better than the mean. */
class StepRate {
  private readonly times: number[] = [];
  private readonly window: number;
  constructor(window = 10) {
    this.window = window;
  }
  tick(now: number): void {
    this.times.push(now);
    if (this.times.length > this.window + 1) this.times.shift();
  }
  perSecond(): number | null {
    if (this.times.length < 2) return null;
    const span = this.times.at(-1)! - this.times[0]!;
    return span > 0 ? ((this.times.length - 1) * 1000) / span : null;
  }
}

const stepKey = (u: ProgressUpdate) => `${u.jobNo}:${u.samplingStep}`;
/** Steps done and in all, counting each job as long as the current one (A1111's own progress estimate). */
const stepsDone = (u: ProgressUpdate) => u.jobNo * u.samplingSteps + u.samplingStep;
const stepsTotal = (u: ProgressUpdate) => Math.max(1, u.jobCount * u.samplingSteps);

export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** The bar on a terminal: "sampling |████░░░| 45% | job 1/2 step 9/20 | 1.52 it/s | ETA 12s | 8s". */
export function barView(stream: NodeJS.WriteStream, now: () => number = () => performance.now()): ProgressView {
  const bar = new SingleBar({
    stream,
    format: "{phase} |{bar}| {percentage}% | {where} | {speed} | ETA {etaText} | {duration_formatted}",
    barCompleteChar: "\u2588",
    barIncompleteChar: "\u2591",
    hideCursor: true,
    fps: 5,
    barsize: 30,
  });
  const rate = new StepRate();
  let last = "";
  let running = false;
  const started = () => {
    if (running) return;
    running = true;
    bar.start(1, 0, { phase: "loading model", where: "waiting for the first step", speed: "- it/s", etaText: "-" });
  };
  return {
    started,
    step(update) {
      started();
      if (stepKey(update) !== last) rate.tick(now());
      last = stepKey(update);
      const perSecond = rate.perSecond();
      const remaining = stepsTotal(update) - stepsDone(update);
      bar.setTotal(stepsTotal(update));
      bar.update(stepsDone(update), {
        phase: "sampling",
        where: `job ${Math.min(update.jobNo + 1, update.jobCount)}/${update.jobCount} step ${update.samplingStep}/${update.samplingSteps}`,
        speed: perSecond === null ? "- it/s" : `${perSecond.toFixed(2)} it/s`,
        etaText: perSecond === null ? "-" : formatSeconds(remaining / perSecond),
      });
    },
    finished() {
      if (!running) return;
      running = false;
      bar.stop();
    },
  };
}

/**
 * Without a terminal: a line per finished job, "job 1/2: 20 steps in 3.1 s (first step after 1.2 s, then 10.00 it/s)".
 * The time runs from the end of the previous job (or the start, model loading included) to the job's last step; it
 * splits into the wait for the first step (loading, prompt encoding, the first UNet calls) and the steps after it,
 * whose rate is the one given, so that a fast model behind a slow load does not read as "8 steps in 1.8 s (1540 it/s)".
 */
export function lineView(stream: NodeJS.WritableStream, now: () => number = () => performance.now()): ProgressView {
  let begun = now();
  let current: { update: ProgressUpdate; first: number; lastAt: number; steps: number } | null = null;
  let last = "";
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const report = () => {
    if (!current) return;
    const { update, first, lastAt, steps } = current;
    const span = (lastAt - first) / 1000;
    const rate = steps > 1 && span > 0 ? `, then ${((steps - 1) / span).toFixed(2)} it/s` : "";
    const noun = steps === 1 ? "step" : "steps";
    stream.write(`job ${update.jobNo + 1}/${update.jobCount}: ${steps} ${noun} in ${seconds(lastAt - begun)} (first step after ${seconds(first - begun)}${rate})\n`);
    begun = lastAt;
    current = null;
  };
  return {
    started() {
      begun = now();
    },
    step(update) {
      // The next job's first step: the previous job is done.
      if (current && current.update.jobNo !== update.jobNo) report();
      const at = now();
      current ??= { update, first: at, lastAt: at, steps: 0 };
      if (stepKey(update) !== last) current.steps++;
      last = stepKey(update);
      current.update = update;
      current.lastAt = at;
    },
    finished() {
      report();
    },
  };
}

/** The view for `stream`: the bar on a terminal, lines elsewhere. */
export const progressView = (stream: NodeJS.WriteStream): ProgressView => (stream.isTTY ? barView(stream) : lineView(stream));

/**
 * The backend with its progress hooks also driving `view`; the hooks the route passes (the progress tracker that
 * `/sdapi/v1/progress`, interrupt and skip use) keep working as before. The view starts when the backend is called,
 * so finding the model (writing the tiny test model, a download) and loading it show as "loading model".
 */
export function withProgress(backend: InferenceBackend, view: ProgressView): InferenceBackend {
  return {
    ...backend,
    async generate(job, hooks: GenerationHooks = {}) {
      view.started();
      try {
        return await backend.generate(job, {
          ...hooks,
          onProgress: (update) => {
            hooks.onProgress?.(update);
            view.step(update);
          },
        });
      } finally {
        view.finished();
      }
    },
  };
}
