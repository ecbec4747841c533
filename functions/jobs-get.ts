import { jobsGet } from "../lib/a1111/routes/jobs.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(jobsGet);
