import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { readJob } from "../lib/a1111/routes/jobs.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS["jobs-get"], ({ pathParameters }, ctx) => readJob(pathParameters.id, ctx));
