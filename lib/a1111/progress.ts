/**
 * Progress, one model for everything that reports it: the engine's counters (`ProgressUpdate`: which batch of how
 * many, which step of how many), stored as they are in async job state and carried across worker boundaries, and
 * the one builder of A1111's `/sdapi/v1/progress` answer from them (modules/progress.py and modules/api/api.py
 * `progressapi`; docs/a1111-semantics.md).
 */
import * as z from "zod";
import type { ProgressUpdate } from "../engine/plan.ts";
import { jobTimestamp } from "./generation/plan.ts";
import type { ProgressResponse } from "./schemas/system.ts";

export type { ProgressUpdate };

/** The engine's progress counters as data (job state, worker messages). */
export const ProgressCounters = z.object({
  /** 0-based batch (n_iter × passes) being sampled, and how many there are. */
  jobNo: z.int(),
  jobCount: z.int(),
  /** Sampling step within the current batch, and the steps a batch takes. */
  samplingStep: z.int(),
  samplingSteps: z.int(),
});

/** A generation that is running, as `/progress` describes it. */
export interface RunningGeneration {
  readonly job: "scripts_txt2img" | "scripts_img2img";
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly update: ProgressUpdate;
  readonly interrupted: boolean;
  readonly skipped: boolean;
}

/** A1111's progress fraction: min(1, 0.01 + job_no/job_count + sampling_step/(sampling_steps·job_count)). */
export function progressFraction(u: ProgressUpdate): number {
  if (u.jobCount === 0) return 0;
  const step = u.samplingSteps > 0 ? u.samplingStep / (u.samplingSteps * u.jobCount) : 0;
  return Math.min(1, 0.01 + u.jobNo / u.jobCount + step);
}

const IDLE: ProgressResponse = {
  progress: 0,
  eta_relative: 0,
  state: {
    skipped: false,
    interrupted: false,
    stopping_generation: false,
    job: "",
    job_count: 0,
    job_timestamp: "0",
    job_no: 0,
    sampling_step: 0,
    sampling_steps: 0,
  },
  current_image: null,
  textinfo: null,
};

/** The `/sdapi/v1/progress` answer for the running generation, or A1111's idle answer when there is none. */
export function progressResponse(running: RunningGeneration | null, now: number): ProgressResponse {
  if (!running) return IDLE;
  const u = running.update;
  const progress = progressFraction(u);
  const elapsed = Math.max(0, (now - running.startedAt) / 1000);
  return {
    progress,
    eta_relative: progress > 0 ? elapsed / progress - elapsed : 0,
    state: {
      skipped: running.skipped,
      interrupted: running.interrupted,
      stopping_generation: false,
      job: running.job,
      job_count: u.jobCount,
      job_timestamp: jobTimestamp(new Date(running.startedAt)),
      job_no: u.jobNo,
      sampling_step: u.samplingStep,
      sampling_steps: u.samplingSteps,
    },
    current_image: null,
    textinfo: null,
  };
}
