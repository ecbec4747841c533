import { extraBatchImages } from "../lib/a1111/routes/extras.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(extraBatchImages);
