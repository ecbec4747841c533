import { scriptInfo } from "../lib/a1111/routes/scripts.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(scriptInfo);
