import { CONTRACTS } from "../lib/api/contracts.ts";
import { schedulerList } from "../lib/api/listings.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS.schedulers, async () => schedulerList());
