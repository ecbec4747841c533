import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";
import { progressSnapshot } from "../lib/jobs/progress.ts";

export const handler = defineRoute(CONTRACTS.progress, (_input, ctx) => progressSnapshot(ctx.services));
