/**
 * The asynchronous path's runner (functions/job-runner.ts): POST /serena/v1/jobs stores the job in the bucket
 * and invokes this function with `{ jobId }` (InvocationType Event); it runs the job on the inference tier for up
 * to Lambda's 15 minutes and writes progress and results back to the bucket.
 */
import { API_NODE_INSTALL, API_NODEJS, NODE_RUNTIME } from "./api.ts";

export const JOB_RUNNER_TIMEOUT_SECONDS = 900;

export interface JobRunnerArgs {
  environment: Record<string, $util.Input<string>>;
  link: $util.Input<unknown>[];
  permissions: sst.aws.FunctionArgs["permissions"];
  logRetention: "1 week" | "3 months";
}

export function createJobRunner(args: JobRunnerArgs) {
  return new sst.aws.Function("JobRunner", {
    handler: "functions/job-runner.handler",
    runtime: NODE_RUNTIME,
    timeout: `${JOB_RUNNER_TIMEOUT_SECONDS} seconds`,
    memory: "1024 MB",
    link: args.link,
    permissions: args.permissions,
    environment: args.environment,
    nodejs: { ...API_NODEJS, install: [...API_NODE_INSTALL] },
    logging: { retention: args.logRetention },
    // A failed job is recorded as failed in its state; Lambda's default two retries of an async event would
    // silently run a generation of up to 15 minutes twice more.
    retries: 0,
  });
}
