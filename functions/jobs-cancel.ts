import { CONTRACTS } from "../lib/api/contracts.ts";
import { cancelJob } from "../lib/api/jobs.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS["jobs-cancel"], ({ pathParameters }, ctx) => cancelJob(pathParameters.id, ctx));
