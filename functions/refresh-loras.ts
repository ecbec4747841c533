import { refreshLoras } from "../lib/a1111/routes/listings.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(refreshLoras);
