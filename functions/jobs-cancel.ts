import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { cancelJob } from "../lib/a1111/routes/jobs.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS["jobs-cancel"], ({ pathParameters }, ctx) => cancelJob(pathParameters.id, ctx));
