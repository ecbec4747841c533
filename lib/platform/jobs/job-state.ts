/**
 * A job as stored (`jobs/<id>.json` in the bucket, or in memory) and the pure transitions between its states:
 * queued → running → succeeded | failed | cancelled, or queued → cancelled. Results are stored as bucket keys and
 * presigned when read (view.ts), so a job's URLs never expire while it is kept.
 */
import * as z from "zod";
import type { GenerationJob, ProgressUpdate } from "../../a1111/backend.ts";
import { Img2ImgRequest, Txt2ImgRequest } from "../../a1111/schemas/generation.ts";
import { ProgressCounters } from "../../a1111/progress.ts";
import { JobError, JobStatus, JobTiming, JobType, JobWebhook } from "../../a1111/schemas/jobs.ts";
import { Options } from "../../a1111/schemas/options.ts";
import { acceptRequestId } from "../http/request-id.ts";

export const JobState = z.object({
  id: z.string(),
  type: JobType,
  status: JobStatus,
  /** Set by DELETE or /sdapi/v1/interrupt; the runner stops at the next step it sees it. */
  cancelRequested: z.boolean(),
  progress: ProgressCounters,
  timing: JobTiming,
  result: z
    .object({
      /** Bucket keys of the images (outputs/<id>/<n>.png). */
      image_keys: z.array(z.string()),
      /** Base64 images, kept only by the in-memory store when there is no bucket. */
      images: z.array(z.string()),
      info: z.string(),
      parameters: z.record(z.string(), z.unknown()),
      warnings: z.array(z.string()).optional(),
    })
    .nullable(),
  error: JobError.nullable(),
  webhook: JobWebhook.nullable(),
});
export type JobState = z.output<typeof JobState>;

/** What the runner needs, stored once beside the state (img2img requests carry megabytes of base64). */
export interface JobInput {
  job: GenerationJob;
  webhook: string | null;
  /** The id of the request that submitted the job: the runner logs under it and passes it to the worker. */
  requestId?: string;
}

/** Validates a stored input again with the shared schemas, so a runner from another deployment cannot misread it. */
export function parseJobInput(raw: unknown): JobInput {
  const value = raw as { job: { type: string; request: unknown; options: unknown }; webhook: string | null; requestId?: unknown };
  const options = Options.parse(value.job.options);
  const job: GenerationJob =
    value.job.type === "img2img"
      ? { type: "img2img", request: Img2ImgRequest.parse(value.job.request), options }
      : { type: "txt2img", request: Txt2ImgRequest.parse(value.job.request), options };
  const requestId = acceptRequestId(value.requestId);
  return requestId === null ? { job, webhook: value.webhook } : { job, webhook: value.webhook, requestId };
}

export type JobOutcome =
  | { status: "succeeded"; result: NonNullable<JobState["result"]> }
  | { status: "failed"; error: JobError }
  | { status: "cancelled" };

const iso = (now: number) => new Date(now).toISOString();

export const isFinished = (status: JobStatus) => status === "succeeded" || status === "failed" || status === "cancelled";

export function newJob(id: string, input: JobInput, now: number): JobState {
  const { request } = input.job;
  return {
    id,
    type: input.job.type,
    status: "queued",
    cancelRequested: false,
    progress: { jobNo: 0, jobCount: request.n_iter, samplingStep: 0, samplingSteps: request.steps },
    timing: { createdAt: iso(now), startedAt: null, finishedAt: null, durationMs: null, updatedAt: iso(now) },
    result: null,
    error: null,
    webhook: input.webhook ? { url: input.webhook, deliveredAt: null, error: null } : null,
  };
}

export function startJob(job: JobState, now: number): JobState {
  if (job.status !== "queued") return job;
  return { ...job, status: "running", timing: { ...job.timing, startedAt: iso(now), updatedAt: iso(now) } };
}

/** Progress of a running job; anything else is left as it is (a late write after the end changes nothing). */
export function recordProgress(job: JobState, update: ProgressUpdate | null, now: number): JobState {
  if (job.status !== "running") return job;
  return { ...job, progress: update ? { ...update } : job.progress, timing: { ...job.timing, updatedAt: iso(now) } };
}

export function finishJob(job: JobState, outcome: JobOutcome, now: number): JobState {
  if (isFinished(job.status)) return job;
  const started = job.timing.startedAt ? Date.parse(job.timing.startedAt) : null;
  const timing = { ...job.timing, finishedAt: iso(now), durationMs: started === null ? null : now - started, updatedAt: iso(now) };
  return {
    ...job,
    status: outcome.status,
    timing,
    result: outcome.status === "succeeded" ? outcome.result : null,
    error: outcome.status === "failed" ? outcome.error : null,
  };
}

/** A running job whose runner has written nothing for this long has died (out of memory, killed at its time limit). */
export const ABANDONED_AFTER_MS = 5 * 60_000;

export const isAbandoned = (job: JobState, now: number) =>
  job.status === "running" && now - Date.parse(job.timing.updatedAt) > ABANDONED_AFTER_MS;

export const ABANDONED_ERROR: JobError = {
  status: 500,
  detail: `the job runner stopped without finishing (nothing written for ${ABANDONED_AFTER_MS / 60_000} minutes)`,
};

/**
 * The merge every store applies when it writes: a finished job never goes back to an earlier status, and a cancel
 * request, once recorded anywhere, stays recorded.
 */
export function mergeWrite(current: JobState, next: JobState, cancelMarked: boolean): JobState {
  if (isFinished(current.status) && !isFinished(next.status)) return current;
  return { ...next, cancelRequested: current.cancelRequested || next.cancelRequested || cancelMarked };
}
