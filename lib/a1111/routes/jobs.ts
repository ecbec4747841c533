/**
 * `/serena/v1/jobs`: submit (202 with the job's id), read (state, progress, timing, result URLs, error) and cancel.
 * A submitted request gets every check the synchronous route gives it before anything is stored — its schema,
 * override_settings and client images — so an invalid job is a 422 naming `request.<field>`, never a failed job.
 */
import * as z from "zod";
import { conflict, notFound, RequestValidationError } from "../errors.ts";
import type { JobView } from "../schemas/jobs.ts";
import { checkedJob } from "./generation.ts";
import { implement, jsonResult } from "./route.ts";
import { ROUTE } from "./table.ts";

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

/** Job ids are UUIDs; anything else cannot name a job (nor a key outside the job store). */
const jobId = (id: string | undefined) => (z.uuid().safeParse(id).success ? id! : null);

export const jobsCreate = implement(ROUTE["jobs-create"], async ({ body }, ctx) => {
  const job = await underRequest(() => checkedJob(body.type, body.request, ctx));
  const id = await ctx.services.jobs.submit(job, body.webhook ?? null);
  return jsonResult(202, { id }, { location: `${JOBS_PATH}/${id}` });
});

export const jobsGet = implement(ROUTE["jobs-get"], async ({ pathParameters }, ctx): Promise<JobView> => {
  const id = jobId(pathParameters.id);
  const view = id === null ? null : await ctx.services.jobs.view(id);
  if (!view) throw notFound(`job ${pathParameters.id ?? ""} not found`);
  return view;
});

/**
 * A queued job is cancelled at once; a running one stops at its next sampling step (its status turns to
 * "cancelled" then, and `cancelRequested` is true meanwhile); a finished one is a 409.
 */
export const jobsCancel = implement(ROUTE["jobs-cancel"], async ({ pathParameters }, ctx): Promise<JobView> => {
  const id = jobId(pathParameters.id);
  const outcome = id === null ? null : await ctx.services.jobs.cancel(id);
  if (!outcome) throw notFound(`job ${pathParameters.id ?? ""} not found`);
  if ("finished" in outcome) {
    const job = outcome.finished;
    throw conflict(`job ${job.id} has already ${job.status === "cancelled" ? "been cancelled" : job.status}`);
  }
  return outcome;
});
