import { sysinfo } from "../lib/a1111/routes/system.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(sysinfo);
