import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { createJob } from "../lib/a1111/routes/jobs.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

// `generation: true` lets the CI fake stand in for the backend that runs the job in this process, as for txt2img.
export const handler = defineRoute({ ...CONTRACTS["jobs-create"], generation: true }, ({ body }, ctx) => createJob(body, ctx));
