import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS.interrupt, async (_input, ctx) => {
  ctx.services.progress.interrupt();
  return {};
});
