import { CONTRACTS } from "../lib/api/contracts.ts";
import { updateOptions } from "../lib/api/options.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS["options-set"], ({ body }, ctx) => updateOptions(body, ctx));
