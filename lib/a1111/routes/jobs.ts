/**
 * `/serena/v1/jobs`: submit (202 with the job's id), read (state, progress, timing, result URLs, error) and cancel.
 * A submitted request gets every check the synchronous route gives it before anything is stored — its schema,
 * override_settings and client images — so an invalid job is a 422 naming `request.<field>`, never a failed job.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { conflict, notFound, RequestValidationError } from "../errors.ts";
import type { RouteContext } from "../../platform/http/context.ts";
import { jsonResponse, type RawResponse } from "../../platform/http/response.ts";
import type { GenerationJob } from "../backend.ts";
import { dispatchJob } from "../../platform/jobs/dispatch.ts";
import { finishJob, isFinished, newJob, type JobInput, type JobState } from "../../platform/jobs/job-state.ts";
import { reapIfAbandoned } from "../../platform/jobs/progress.ts";
import { jobView } from "../../platform/jobs/view.ts";
import type { Img2ImgRequest } from "../schemas/generation.ts";
import type { JobCreateRequest, JobView } from "../schemas/jobs.ts";
import { checkClientImages, effectiveOptions } from "./generate.ts";

export const JOBS_PATH = "/serena/v1/jobs";

/** Errors found in the request's own fields are reported under `body.request`, where the client put them. */
async function underRequest<T>(check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    if (!(error instanceof RequestValidationError)) throw error;
    throw new RequestValidationError(error.issues.map((i) => ({ ...i, loc: ["body", "request", ...i.loc.slice(1)] })));
  }
}

export async function createJob(body: JobCreateRequest, ctx: RouteContext): Promise<RawResponse> {
  const { request } = body;
  const options = await underRequest(async () => {
    const resolved = await effectiveOptions(await ctx.services.options.get(), request.override_settings, ctx);
    if (body.type === "img2img") await checkClientImages(request as Img2ImgRequest);
    return resolved;
  });
  const job = { type: body.type, request, options } as GenerationJob;
  const input: JobInput = { job, webhook: body.webhook ?? null };
  const id = randomUUID();
  await ctx.services.jobs.create(newJob(id, input, Date.now()), input);
  // In-process runs use this request's backend, which is the CI fake under CI=true, as for txt2img.
  await dispatchJob(id, { ...ctx.services, backend: ctx.backend });
  return jsonResponse(202, { id }, { location: `${JOBS_PATH}/${id}` });
}

async function findJob(id: string | undefined, ctx: RouteContext): Promise<JobState> {
  // Ids are UUIDs; anything else cannot name a job (nor a key outside jobs/).
  const job = z.uuid().safeParse(id).success ? await ctx.services.jobs.get(id!) : null;
  if (!job) throw notFound(`job ${id ?? ""} not found`);
  return reapIfAbandoned(ctx.services, job);
}

export async function readJob(id: string | undefined, ctx: RouteContext): Promise<JobView> {
  return jobView(await findJob(id, ctx), ctx.services.storage);
}

/**
 * A queued job is cancelled at once; a running one stops at its next sampling step (its status turns to
 * "cancelled" then, and `cancelRequested` is true meanwhile); a finished one is a 409.
 */
export async function cancelJob(id: string | undefined, ctx: RouteContext): Promise<JobView> {
  const job = await findJob(id, ctx);
  if (isFinished(job.status)) throw conflict(`job ${job.id} has already ${job.status === "cancelled" ? "been cancelled" : job.status}`);
  const { jobs } = ctx.services;
  await jobs.requestCancel(job.id);
  const now = Date.now();
  const after = await jobs.update(job.id, (j) =>
    j.status === "queued" ? finishJob({ ...j, cancelRequested: true }, { status: "cancelled" }, now) : { ...j, cancelRequested: true },
  );
  return jobView(after!, ctx.services.storage);
}
