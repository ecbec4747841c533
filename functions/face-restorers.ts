import { faceRestorers } from "../lib/a1111/routes/catalogs.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(faceRestorers);
