import { CONTRACTS } from "../lib/api/contracts.ts";
import { readJob } from "../lib/api/jobs.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS["jobs-get"], ({ pathParameters }, ctx) => readJob(pathParameters.id, ctx));
