import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";
import { interruptNewest } from "../lib/jobs/progress.ts";

export const handler = defineRoute(CONTRACTS.interrupt, async (_input, ctx) => {
  await interruptNewest(ctx.services);
  return {};
});
