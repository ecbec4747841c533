import { optionsGet } from "../lib/a1111/routes/options.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(optionsGet);
