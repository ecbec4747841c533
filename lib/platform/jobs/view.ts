/** A stored job as clients see it (GET /serena/v1/jobs/{id}, webhooks): image keys become fresh presigned URLs. */
import type { ProgressResponse } from "../../a1111/schemas/system.ts";
import type { JobView } from "../../a1111/schemas/jobs.ts";
import { progressFraction } from "../runtime/progress.ts";
import type { ObjectStorage } from "../storage/object-storage.ts";
import { presignImages } from "../storage/outputs.ts";
import type { JobState } from "./job-state.ts";

const progressUpdate = (job: JobState) => ({
  jobNo: job.progress.jobNo,
  jobCount: job.progress.jobCount,
  samplingStep: job.progress.step,
  samplingSteps: job.progress.total,
});

export async function jobView(job: JobState, storage: ObjectStorage | null): Promise<JobView> {
  const fraction = job.status === "succeeded" ? 1 : job.status === "running" ? progressFraction(progressUpdate(job)) : 0;
  let result: JobView["result"] = null;
  if (job.result) {
    const { image_keys, images, info, parameters } = job.result;
    const image_urls = storage && image_keys.length > 0 ? await presignImages(storage, image_keys) : [];
    result = images.length > 0 ? { image_urls, images, info, parameters } : { image_urls, info, parameters };
  }
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    cancelRequested: job.cancelRequested,
    progress: { ...job.progress, fraction },
    timing: job.timing,
    result,
    error: job.error,
    webhook: job.webhook,
  };
}

/** `/sdapi/v1/progress` for a running job, in A1111's shape and with its arithmetic (a1111-api.md §9.7). */
export function jobProgressResponse(job: JobState, now: number): ProgressResponse {
  const update = progressUpdate(job);
  const progress = progressFraction(update);
  const startedAt = Date.parse(job.timing.startedAt ?? job.timing.createdAt);
  const elapsed = Math.max(0, (now - startedAt) / 1000);
  return {
    progress,
    eta_relative: progress > 0 ? elapsed / progress - elapsed : 0,
    state: {
      skipped: false,
      interrupted: job.cancelRequested,
      stopping_generation: false,
      job: `scripts_${job.type}`,
      job_count: update.jobCount,
      // A1111's "%Y%m%d%H%M%S" of the job's start.
      job_timestamp: new Date(startedAt).toISOString().replace(/[-:T]/g, "").slice(0, 14),
      job_no: update.jobNo,
      sampling_step: update.samplingStep,
      sampling_steps: update.samplingSteps,
    },
    current_image: null,
    textinfo: null,
  };
}
