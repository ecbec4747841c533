/**
 * The inference function's handler (container image, infra/worker.Dockerfile): the Invoke payload is a
 * WorkerRequest and the return value its WorkerResponse. Dependencies are built on the first invocation and kept
 * for the life of the container, so a warm container answers with its model already loaded. Building them lazily
 * keeps a model download out of Lambda's 10-second init phase (docs/serverless.md §4). Each invocation logs under
 * the API request's id from the payload, else the Lambda invocation's own (handle-request.ts).
 */
import type { Context } from "aws-lambda";
import { randomUUID } from "node:crypto";
import { getConfig } from "../config.ts";
import { acceptRequestId } from "../http/request-id.ts";
import type { WorkerResponse } from "../inference/job-protocol.ts";
import { createLogger, type Logger } from "../runtime/logger.ts";
import { createWorkerDeps } from "./deps.ts";
import { invokeWorker, type WorkerDeps } from "./handle-request.ts";

export type WorkerLambdaHandler = (event: unknown, context?: Pick<Context, "awsRequestId">) => Promise<WorkerResponse>;

/**
 * Job failures come back as `{ok: false}` answers. Only a failure to build the dependencies (a model that cannot be
 * downloaded, say) is thrown, which Lambda reports as an Unhandled function error; the next invocation tries again.
 */
export function createLambdaHandler(buildDeps: () => Promise<WorkerDeps>, logger?: Logger): WorkerLambdaHandler {
  let deps: Promise<WorkerDeps> | undefined;
  let log = logger;
  return async (event, context) => {
    deps ??= buildDeps().catch((error: unknown) => {
      deps = undefined;
      throw error;
    });
    log ??= createLogger(getConfig());
    const requestId =
      acceptRequestId((event as { requestId?: unknown } | null)?.requestId) ?? acceptRequestId(context?.awsRequestId) ?? randomUUID();
    return (await invokeWorker(event, await deps, { logger: log, requestId })).response;
  };
}

export const handler = createLambdaHandler(() => {
  const config = getConfig();
  // No idle release in a Lambda sandbox (LocalBackendOptions.idleRelease).
  return createWorkerDeps(config, createLogger(config), { idleRelease: false });
});
