import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { updateOptions } from "../lib/a1111/routes/options.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS["options-set"], ({ body }, ctx) => updateOptions(body, ctx));
