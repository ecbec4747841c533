import { CONTRACTS } from "../lib/api/contracts.ts";
import { generate } from "../lib/api/generate.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS.txt2img, ({ body }, ctx) => generate("txt2img", body, ctx));
