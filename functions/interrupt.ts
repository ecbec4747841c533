import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";
import { interruptNewest } from "../lib/platform/jobs/progress.ts";

export const handler = defineRoute(CONTRACTS.interrupt, async (_input, ctx) => {
  await interruptNewest(ctx.services);
  return {};
});
