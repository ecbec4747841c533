import { pngInfoRoute } from "../lib/a1111/routes/png-info.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(pngInfoRoute);
