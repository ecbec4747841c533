import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

/** No styles.csv: style names in requests are echoed but add nothing to the prompt. */
export const handler = defineRoute(CONTRACTS["prompt-styles"], async () => []);
