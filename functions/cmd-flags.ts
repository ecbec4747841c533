import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { commandFlags } from "../lib/a1111/routes/system.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS["cmd-flags"], async (_input, ctx) => commandFlags(ctx.services.config));
