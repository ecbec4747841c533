/**
 * Runs one stored job to its end: marks it running, calls the backend with hooks that report progress to the
 * store and stop at a cancel request (monitor.ts), stores the images, records the final state, then calls the
 * webhook. A failed or cancelled job has no result, and images already stored for it are removed.
 * The run logs "job started" and "job finished" (status, milliseconds, and a failure's status and reason) with the job
 * id and the id of the request that submitted it, and runs in that request id's scope, so a remote worker logs under
 * the same id (lib/platform/http/request-id.ts).
 */
import { errorAnswer } from "../../a1111/errors.ts";
import { infoJsonString } from "../../a1111/generation/info.ts";
import { echoParameters } from "../../a1111/generation/response.ts";
import type { GenerationHooks, ProgressUpdate } from "../../a1111/backend.ts";
import { scrubReason } from "../http/error-log.ts";
import { currentRequestId, withRequestId } from "../http/request-id.ts";
import type { Services } from "../runtime/services.ts";
import { outputPrefix, storeImages } from "../storage/outputs.ts";
import { finishJob, recordProgress, startJob, type JobInput, type JobOutcome, type JobState } from "./job-state.ts";
import { watchJob, type WatchOptions } from "./monitor.ts";
import { jobView } from "./view.ts";
import { deliverWebhook } from "./webhook.ts";

export interface RunJobOptions extends WatchOptions {
  /** Epoch ms by which the job must end (a Lambda's time limit, less a margin); it fails with 504 after it. */
  deadline?: number;
}

/** The error a job reports: typed errors keep their status and text; anything else is an internal error. */
function jobError(error: unknown, id: string): { status: number; detail: string } {
  const answer = errorAnswer(error, `job id ${id}`);
  // A validation error's detail is its list of issues; the job reports them as one line.
  return { status: answer.status, detail: typeof answer.body.detail === "string" ? answer.body.detail : (error as Error).message };
}

/** Generates and stores the images; returns how the job ended and the backend's last progress report. */
async function generateOutcome(
  services: Services,
  options: RunJobOptions,
  started: JobState,
  input: JobInput,
): Promise<{ outcome: JobOutcome; progress: ProgressUpdate | null }> {
  const { jobStore, storage, backend, logger } = services;
  const id = started.id;
  const monitor = watchJob(jobStore, started, options);
  const pastDeadline = () => options.deadline !== undefined && Date.now() > options.deadline;
  const hooks: GenerationHooks = {
    jobId: id,
    onProgress: monitor.onProgress,
    control: () => (monitor.cancelled || pastDeadline() ? "interrupt" : null),
  };
  const end = async (outcome: JobOutcome) => {
    await monitor.stop();
    return { outcome, progress: monitor.latest };
  };
  try {
    const output = await backend.generate(input.job, hooks);
    await monitor.stop();
    // A cancel requested after the last poll counts too. An interrupted backend returns the images it has; a
    // cancelled job keeps none of them.
    if (monitor.cancelled || (await jobStore.cancelRequested(id))) return end({ status: "cancelled" });
    if (pastDeadline()) return end({ status: "failed", error: { status: 504, detail: "the job did not finish within the runner's time limit" } });
    const image_keys = output.storedImageKeys ?? (storage ? await storeImages(storage, outputPrefix(id), output.images) : []);
    const images = storage ? [] : output.images.map((b) => b.toString("base64"));
    const result = {
      image_keys,
      images,
      info: infoJsonString(output.info),
      parameters: echoParameters(input.job.request),
      ...(output.warnings ? { warnings: output.warnings } : {}),
    };
    return end({ status: "succeeded", result });
  } catch (error) {
    if (monitor.cancelled) return end({ status: "cancelled" });
    if (!errorAnswer(error, `job id ${id}`).expected) logger.error("job failed", { jobId: id, type: started.type, error: error as Error });
    return end({ status: "failed", error: jobError(error, id) });
  }
}

/** Runs the job `id` if it is still queued; returns its final state (or its state as found, or null if unknown). */
export async function runJob(id: string, services: Services, options: RunJobOptions = {}): Promise<JobState | null> {
  const { jobStore } = services;
  let mine = false;
  const started = await jobStore.update(id, (job) => {
    mine = job.status === "queued";
    return startJob(job, Date.now());
  });
  // Not started here: unknown, cancelled while queued, or taken by an earlier delivery of the same Lambda event.
  // (Two deliveries in the same instant could both start it: S3 has no compare-and-set that every S3-compatible
  // server offers, so the runner function is deployed without retries, infra/job-runner.ts.)
  if (!started || !mine) return started;
  const input = (await jobStore.input(id))!;
  const requestId = input.requestId ?? currentRequestId();
  const logger = services.logger.createChild({ persistentKeys: { jobId: id, ...(requestId ? { requestId } : {}) } });
  const run = () => finishRun({ ...services, logger }, options, started, input);
  return requestId ? withRequestId(requestId, run) : run();
}

async function finishRun(services: Services, options: RunJobOptions, started: JobState, input: JobInput): Promise<JobState> {
  const { jobStore, storage, images, logger } = services;
  const id = started.id;
  const began = performance.now();
  logger.info("job started", { type: started.type, backend: services.backend.name });
  const { outcome, progress } = await generateOutcome(services, options, started, input);
  const now = Date.now();
  let final = (await jobStore.update(id, (job) => finishJob(recordProgress(job, progress, now), outcome, now)))!;
  if (final.status !== "succeeded" && storage) {
    const leftovers = await storage.list(outputPrefix(id));
    await Promise.all(leftovers.map((key) => storage.delete(key)));
  }
  if (final.webhook) {
    const delivery = await deliverWebhook(final.webhook.url, await jobView(final, images), id, services.config.webhooks);
    if (!delivery.ok) logger.warn("webhook not delivered", { jobId: id, attempts: delivery.attempts, reason: delivery.reason });
    const webhook = {
      ...final.webhook,
      deliveredAt: delivery.ok ? new Date().toISOString() : null,
      error: delivery.ok ? null : `not delivered after ${delivery.attempts} attempt${delivery.attempts === 1 ? "" : "s"}`,
    };
    final = (await jobStore.update(id, (job) => ({ ...job, webhook })))!;
  }
  const failure = final.error ? { errorStatus: final.error.status, reason: scrubReason(final.error.detail, input.job.request) } : {};
  logger.info("job finished", { status: final.status, ms: Math.round(performance.now() - began), ...failure });
  return final;
}
