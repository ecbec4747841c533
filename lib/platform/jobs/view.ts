/** A stored job as clients see it (GET /serena/v1/jobs/{id}, webhooks): image keys become fresh presigned URLs. */
import { progressFraction } from "../../a1111/progress.ts";
import type { ImageStore } from "../../a1111/routes/context.ts";
import type { JobView } from "../../a1111/schemas/jobs.ts";
import type { JobState } from "./job-state.ts";

export async function jobView(job: JobState, images: ImageStore | null): Promise<JobView> {
  const fraction = job.status === "succeeded" ? 1 : job.status === "running" ? progressFraction(job.progress) : 0;
  let result: JobView["result"] = null;
  if (job.result) {
    const { image_keys, images: inline, info, parameters, warnings } = job.result;
    const image_urls = images && image_keys.length > 0 ? await images.presign(image_keys) : [];
    result = { image_urls, ...(inline.length > 0 ? { images: inline } : {}), info, parameters, ...(warnings ? { warnings } : {}) };
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
