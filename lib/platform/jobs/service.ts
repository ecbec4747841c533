/**
 * Serena's async jobs as the routes use them: submit stores the job and starts it, view reads it (a dead runner's
 * job is marked failed on the way), cancel records a cancel request where no concurrent write can undo it. A job
 * keeps the id of the request that submitted it (lib/platform/http/request-id.ts) for the runner's log lines.
 */
import { randomUUID } from "node:crypto";
import type { InferenceBackend } from "../../a1111/backend.ts";
import type { JobsPort } from "../../a1111/routes/context.ts";
import { currentRequestId } from "../http/request-id.ts";
import type { Services } from "../runtime/services.ts";
import { dispatchJob } from "./dispatch.ts";
import { finishJob, isFinished, newJob, type JobInput } from "./job-state.ts";
import { reapIfAbandoned } from "./running.ts";
import { jobView } from "./view.ts";
import { checkWebhookUrl } from "./webhook.ts";

/** `backend` runs jobs started in this process: the configured one, or the CI fake for requests it answers. */
export function createJobsService(services: () => Services, backend?: InferenceBackend): JobsPort {
  return {
    async submit(job, webhook) {
      const s = services();
      if (webhook !== null) await checkWebhookUrl(webhook, s.config.webhooks);
      const requestId = currentRequestId();
      const input: JobInput = requestId === undefined ? { job, webhook } : { job, webhook, requestId };
      const id = randomUUID();
      await s.jobStore.create(newJob(id, input, Date.now()), input);
      await dispatchJob(id, backend ? { ...s, backend } : s);
      return id;
    },
    async view(id) {
      const s = services();
      const job = await s.jobStore.get(id);
      return job ? jobView(await reapIfAbandoned(s.jobStore, job), s.images) : null;
    },
    async cancel(id) {
      const s = services();
      const found = await s.jobStore.get(id);
      if (!found) return null;
      const job = await reapIfAbandoned(s.jobStore, found);
      if (isFinished(job.status)) return { finished: await jobView(job, s.images) };
      await s.jobStore.requestCancel(job.id);
      const now = Date.now();
      const after = await s.jobStore.update(job.id, (j) =>
        j.status === "queued" ? finishJob({ ...j, cancelRequested: true }, { status: "cancelled" }, now) : { ...j, cancelRequested: true },
      );
      return jobView(after!, s.images);
    },
  };
}
