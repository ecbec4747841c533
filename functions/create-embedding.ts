import { createEmbedding } from "../lib/a1111/routes/unavailable.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(createEmbedding);
