import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { generate } from "../lib/a1111/routes/generate.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS.img2img, ({ body }, ctx) => generate("img2img", body, ctx));
