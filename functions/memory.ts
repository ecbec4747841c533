import { CONTRACTS } from "../lib/api/contracts.ts";
import { memoryReport } from "../lib/api/system.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS.memory, async () => memoryReport());
