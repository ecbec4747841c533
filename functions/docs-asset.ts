import { docsAssetFile } from "../lib/a1111/routes/docs.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(docsAssetFile);
