import { createJobRunnerHandler } from "../lib/platform/jobs/runner-handler.ts";
import { getServices } from "../lib/platform/runtime/services.ts";

/** Not an HTTP route: invoked asynchronously with `{"jobId": "<id>"}` (lib/platform/jobs/dispatch.ts). */
export const handler = createJobRunnerHandler(getServices);
