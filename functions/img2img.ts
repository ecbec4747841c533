import { img2img } from "../lib/a1111/routes/generation.ts";
import { lambdaHandler } from "../lib/platform/http/route.ts";

export const handler = lambdaHandler(img2img);
