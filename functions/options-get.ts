import { CONTRACTS } from "../lib/api/contracts.ts";
import { readOptions } from "../lib/api/options.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS["options-get"], (_input, ctx) => readOptions(ctx));
