/**
 * A1111's shared `state` as `/sdapi/v1/progress` reports it (a1111-api.md §9.7), plus the interrupt and skip flags
 * the generation loop polls between steps. One tracker per process: the local server runs one generation at a
 * time, as A1111's queue lock does.
 */
import type { GenerationHooks, ProgressUpdate } from "../../a1111/backend.ts";
import type { ProgressResponse } from "../../a1111/schemas/system.ts";

interface Running {
  job: string;
  timestamp: string;
  startedAt: number;
  update: ProgressUpdate;
  interrupted: boolean;
  skipped: boolean;
}

export interface ProgressTracker {
  /** Starts tracking a generation; returns the hooks to hand to the backend and a function to call when it ends. */
  begin(job: "scripts_txt2img" | "scripts_img2img", jobCount: number, steps: number): { hooks: GenerationHooks; end: () => void };
  snapshot(): ProgressResponse;
  /** Whether a generation is running in this process. */
  active(): boolean;
  interrupt(): void;
  skip(): void;
}

const IDLE_STATE = {
  skipped: false,
  interrupted: false,
  stopping_generation: false,
  job: "",
  job_count: 0,
  job_timestamp: "0",
  job_no: 0,
  sampling_step: 0,
  sampling_steps: 0,
};

export function progressFraction(u: ProgressUpdate): number {
  if (u.jobCount === 0) return 0;
  const step = u.samplingSteps > 0 ? u.samplingStep / (u.samplingSteps * u.jobCount) : 0;
  return Math.min(1, 0.01 + u.jobNo / u.jobCount + step);
}

export function createProgressTracker(now: () => number = Date.now): ProgressTracker {
  let running: Running | null = null;
  return {
    begin(job, jobCount, steps) {
      const startedAt = now();
      const mine: Running = {
        job,
        timestamp: new Date(startedAt).toISOString().replace(/[-:T]/g, "").slice(0, 14),
        startedAt,
        update: { jobNo: 0, jobCount, samplingStep: 0, samplingSteps: steps },
        interrupted: false,
        skipped: false,
      };
      running = mine;
      return {
        hooks: {
          onProgress: (update) => {
            mine.update = update;
          },
          control: () => {
            if (mine.interrupted) return "interrupt";
            if (mine.skipped) {
              mine.skipped = false;
              return "skip";
            }
            return null;
          },
        },
        end: () => {
          if (running === mine) running = null;
        },
      };
    },
    snapshot() {
      if (!running) return { progress: 0, eta_relative: 0, state: IDLE_STATE, current_image: null, textinfo: null };
      const u = running.update;
      const progress = progressFraction(u);
      const elapsed = (now() - running.startedAt) / 1000;
      return {
        progress,
        eta_relative: progress > 0 ? elapsed / progress - elapsed : 0,
        state: {
          skipped: running.skipped,
          interrupted: running.interrupted,
          stopping_generation: false,
          job: running.job,
          job_count: u.jobCount,
          job_timestamp: running.timestamp,
          job_no: u.jobNo,
          sampling_step: u.samplingStep,
          sampling_steps: u.samplingSteps,
        },
        current_image: null,
        textinfo: null,
      };
    },
    active() {
      return running !== null;
    },
    interrupt() {
      if (running) running.interrupted = true;
    },
    skip() {
      if (running) running.skipped = true;
    },
  };
}
