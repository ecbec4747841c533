/**
 * The job runner function (functions/job-runner.ts): a plain Lambda handler, not an HTTP route, invoked
 * asynchronously with `{"jobId": "<id>"}` by dispatch.ts. It stops the job 15 s before its own time limit so that
 * the job ends as failed (504) instead of staying "running" after Lambda kills the instance. Under CI=true it uses
 * the CI fake backend, as the generation routes do (docs/architecture.md).
 */
import type { Context } from "aws-lambda";
import * as z from "zod";
import type { Services } from "../runtime/services.ts";
import { runJob } from "./runner.ts";

const RunnerEvent = z.object({ jobId: z.uuid() });
export const DEADLINE_MARGIN_MS = 15_000;

export function createJobRunnerHandler(services: () => Services) {
  return async (event: unknown, context: Pick<Context, "getRemainingTimeInMillis">) => {
    const { jobId } = RunnerEvent.parse(event);
    const s = services();
    // The fake engine (sharp, the A1111 edge) is imported only under CI=true.
    const backend = s.config.ciFake ? (await import("../inference/fake-backend.ts")).createFakeBackend() : s.backend;
    const deadline = Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS;
    const job = await runJob(jobId, { ...s, backend }, { deadline });
    return { jobId, status: job?.status ?? "unknown" };
  };
}
