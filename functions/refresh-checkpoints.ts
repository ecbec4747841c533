import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";

/** Checkpoints are listed from the model folders on every call, so there is nothing to refresh. */
export const handler = defineRoute(CONTRACTS["refresh-checkpoints"], async () => null);
