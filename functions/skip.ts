import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS.skip, async (_input, ctx) => {
  ctx.services.progress.skip();
  return null;
});
