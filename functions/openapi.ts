import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";
import { openApiDocument } from "../lib/a1111/openapi/document.ts";

let document: Record<string, unknown> | undefined;

export const handler = defineRoute(CONTRACTS.openapi, async () => (document ??= openApiDocument()));
