import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";

/** Textual-inversion embeddings are not supported. */
export const handler = defineRoute(CONTRACTS.embeddings, async () => ({ loaded: {}, skipped: {} }));
