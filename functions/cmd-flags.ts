import { CONTRACTS } from "../lib/api/contracts.ts";
import { commandFlags } from "../lib/api/system.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS["cmd-flags"], async (_input, ctx) => commandFlags(ctx.services.config));
