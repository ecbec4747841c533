import { createJobRunnerHandler } from "../lib/jobs/runner-handler.ts";
import { getServices } from "../lib/runtime/services.ts";

/** Not an HTTP route: invoked asynchronously with `{"jobId": "<id>"}` (lib/jobs/dispatch.ts). */
export const handler = createJobRunnerHandler(getServices);
