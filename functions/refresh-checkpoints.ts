import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

/** Checkpoints are listed from the model folders on every call, so there is nothing to refresh. */
export const handler = defineRoute(CONTRACTS["refresh-checkpoints"], async () => null);
