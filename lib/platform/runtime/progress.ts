/**
 * A1111's shared `state` for `/sdapi/v1/progress`, `/interrupt` and `/skip`, across the generations of this process
 * and the async jobs of every instance. Generations this process serves are tracked in arrival order; the running one
 * is the one whose backend has started it (it may wait behind another in the backend's queue, as A1111's queue lock
 * makes requests wait), and interrupt and skip address it — never a request still waiting. With nothing running
 * here, the newest running async job in the job store stands in, so a client polling progress beside a job sees it
 * from any instance, and an interrupt cancels it.
 */
import type { ProgressPort } from "../../a1111/routes/context.ts";
import type { GenerationHooks, ProgressUpdate } from "../../a1111/generation/job.ts";
import { progressResponse, type RunningGeneration } from "../../a1111/progress.ts";
import type { JobStore } from "../jobs/job-store.ts";
import { newestRunningJob, runningJobGeneration } from "../jobs/running.ts";

interface Tracked {
  readonly job: RunningGeneration["job"];
  /** Epoch ms when the backend started it; null while it waits. */
  startedAt: number | null;
  update: ProgressUpdate;
  interrupted: boolean;
  skipped: boolean;
}

export interface ProgressTracker extends ProgressPort {
  /** Whether a generation of this process is running (not merely waiting). */
  active(): boolean;
}

export function createProgressTracker(jobStore: Pick<JobStore, "running" | "update" | "requestCancel"> | null, now: () => number = Date.now): ProgressTracker {
  const tracked: Tracked[] = [];
  const running = () => tracked.find((t) => t.startedAt !== null) ?? null;

  return {
    begin(job, jobCount, steps) {
      const mine: Tracked = {
        job,
        startedAt: null,
        update: { jobNo: 0, jobCount, samplingStep: 0, samplingSteps: steps },
        interrupted: false,
        skipped: false,
      };
      tracked.push(mine);
      const hooks: GenerationHooks = {
        onStart: () => {
          mine.startedAt ??= now();
        },
        onProgress: (update) => {
          mine.startedAt ??= now();
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
      };
      return {
        hooks,
        end: () => {
          const at = tracked.indexOf(mine);
          if (at >= 0) tracked.splice(at, 1);
        },
      };
    },
    async snapshot() {
      const mine = running();
      if (mine) return progressResponse({ ...mine, startedAt: mine.startedAt! }, now());
      const job = jobStore ? await newestRunningJob(jobStore) : null;
      return progressResponse(job ? runningJobGeneration(job) : null, now());
    },
    async interrupt() {
      const mine = running();
      if (mine) {
        mine.interrupted = true;
        return;
      }
      const job = jobStore ? await newestRunningJob(jobStore) : null;
      if (!job || !jobStore) return;
      await jobStore.requestCancel(job.id);
      await jobStore.update(job.id, (j) => ({ ...j, cancelRequested: true }));
    },
    async skip() {
      const mine = running();
      if (mine) mine.skipped = true;
    },
    active: () => running() !== null,
  };
}
