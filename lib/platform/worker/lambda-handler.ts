/**
 * The inference function's handler (container image, infra/worker.Dockerfile): the Invoke payload is a
 * WorkerRequest and the return value its WorkerResponse. Dependencies are built on the first invocation and kept
 * for the life of the container, so a warm container answers with its model already loaded. Building them lazily
 * keeps a model download out of Lambda's 10-second init phase (docs/serverless.md §4).
 */
import { getConfig } from "../config.ts";
import type { WorkerResponse } from "../inference/job-protocol.ts";
import { createWorkerDeps } from "./deps.ts";
import { handleWorkerRequest, type WorkerDeps } from "./handle-request.ts";

export type WorkerLambdaHandler = (event: unknown) => Promise<WorkerResponse>;

/**
 * Job failures come back as `{ok: false}` answers. Only a failure to build the dependencies (a model that cannot be
 * downloaded, say) is thrown, which Lambda reports as an Unhandled function error; the next invocation tries again.
 */
export function createLambdaHandler(buildDeps: () => Promise<WorkerDeps>): WorkerLambdaHandler {
  let deps: Promise<WorkerDeps> | undefined;
  return async (event) => {
    deps ??= buildDeps().catch((error: unknown) => {
      deps = undefined;
      throw error;
    });
    return handleWorkerRequest(event, await deps);
  };
}

export const handler = createLambdaHandler(() => createWorkerDeps(getConfig()));
