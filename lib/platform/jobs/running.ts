/** Running jobs as other instances see them: a job whose runner died is marked failed on the way. */
import type { RunningGeneration } from "../../a1111/progress.ts";
import { ABANDONED_ERROR, finishJob, isAbandoned, type JobState } from "./job-state.ts";
import type { JobStore } from "./job-store.ts";

/** A job that is running and still alive; a dead runner's job is marked failed here, on the way. */
export async function reapIfAbandoned(store: Pick<JobStore, "update">, job: JobState, now = Date.now()): Promise<JobState> {
  if (!isAbandoned(job, now)) return job;
  return (await store.update(job.id, (j) => (isAbandoned(j, now) ? finishJob(j, { status: "failed", error: ABANDONED_ERROR }, now) : j))) ?? job;
}

/** The most recently started job that is still running, in any instance. */
export async function newestRunningJob(store: Pick<JobStore, "running" | "update">): Promise<JobState | null> {
  for (const job of await store.running()) {
    const live = await reapIfAbandoned(store, job);
    if (live.status === "running") return live;
  }
  return null;
}

/** A running job as `/sdapi/v1/progress` describes a generation. */
export function runningJobGeneration(job: JobState): RunningGeneration {
  return {
    job: `scripts_${job.type}`,
    startedAt: Date.parse(job.timing.startedAt ?? job.timing.createdAt),
    update: job.progress,
    interrupted: job.cancelRequested,
    skipped: false,
  };
}
