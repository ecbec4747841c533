import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";
import { openApiDocument } from "../lib/openapi/document.ts";

let document: Record<string, unknown> | undefined;

export const handler = defineRoute(CONTRACTS.openapi, async () => (document ??= openApiDocument()));
