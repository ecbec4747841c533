import { CONTRACTS } from "../lib/api/contracts.ts";
import { upscalerList } from "../lib/api/listings.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS.upscalers, async () => upscalerList());
