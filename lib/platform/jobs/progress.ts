/**
 * `/sdapi/v1/progress` and `/sdapi/v1/interrupt` across function instances. A generation running in this process
 * answers first, as before; otherwise the newest running job in the store stands in for A1111's single `state`,
 * so a client polling progress beside a job sees it from any instance, and an interrupt cancels it.
 */
import type { Services } from "../runtime/services.ts";
import type { ProgressResponse } from "../../a1111/schemas/system.ts";
import { ABANDONED_ERROR, finishJob, isAbandoned, type JobState } from "./job-state.ts";
import { jobProgressResponse } from "./view.ts";

/** A job that is running and still alive; a dead runner's job is marked failed here, on the way. */
export async function reapIfAbandoned(services: Pick<Services, "jobs">, job: JobState, now = Date.now()): Promise<JobState> {
  if (!isAbandoned(job, now)) return job;
  return (await services.jobs.update(job.id, (j) => (isAbandoned(j, now) ? finishJob(j, { status: "failed", error: ABANDONED_ERROR }, now) : j))) ?? job;
}

export async function newestRunningJob(services: Pick<Services, "jobs">): Promise<JobState | null> {
  for (const job of await services.jobs.running()) {
    const live = await reapIfAbandoned(services, job);
    if (live.status === "running") return live;
  }
  return null;
}

export async function progressSnapshot(services: Services): Promise<ProgressResponse> {
  if (!services.progress.active()) {
    const job = await newestRunningJob(services);
    if (job) return jobProgressResponse(job, Date.now());
  }
  return services.progress.snapshot();
}

/** Interrupts this process's generation, or else cancels the newest running job; A1111 answers `{}` either way. */
export async function interruptNewest(services: Services): Promise<void> {
  if (services.progress.active()) return services.progress.interrupt();
  const job = await newestRunningJob(services);
  if (!job) return;
  await services.jobs.requestCancel(job.id);
  await services.jobs.update(job.id, (j) => ({ ...j, cancelRequested: true }));
}
