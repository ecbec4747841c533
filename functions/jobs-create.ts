import { CONTRACTS } from "../lib/api/contracts.ts";
import { createJob } from "../lib/api/jobs.ts";
import { defineRoute } from "../lib/http/route.ts";

// `generation: true` lets the CI fake stand in for the backend that runs the job in this process, as for txt2img.
export const handler = defineRoute({ ...CONTRACTS["jobs-create"], generation: true }, ({ body }, ctx) => createJob(body, ctx));
