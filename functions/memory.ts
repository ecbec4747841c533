import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { memoryReport } from "../lib/a1111/routes/system.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS.memory, async () => memoryReport());
