import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";

/** No styles.csv: style names in requests are echoed but add nothing to the prompt. */
export const handler = defineRoute(CONTRACTS["prompt-styles"], async () => []);
