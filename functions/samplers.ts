import { CONTRACTS } from "../lib/api/contracts.ts";
import { samplerList } from "../lib/api/listings.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS.samplers, async () => samplerList());
