import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

/** Textual-inversion embeddings are not supported. */
export const handler = defineRoute(CONTRACTS.embeddings, async () => ({ loaded: {}, skipped: {} }));
