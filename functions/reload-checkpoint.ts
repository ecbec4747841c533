import { reloadCheckpoint } from "../lib/a1111/routes/checkpoints.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(reloadCheckpoint);
