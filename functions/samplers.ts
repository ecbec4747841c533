import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { samplerList } from "../lib/a1111/routes/listings.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS.samplers, async () => samplerList());
