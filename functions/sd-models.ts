import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS["sd-models"], (_input, ctx) => ctx.backend.listModels());
