import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";
import { progressSnapshot } from "../lib/platform/jobs/progress.ts";

export const handler = defineRoute(CONTRACTS.progress, (_input, ctx) => progressSnapshot(ctx.services));
