import { CONTRACTS } from "../lib/api/contracts.ts";
import { rawResponse } from "../lib/http/response.ts";
import { defineRoute } from "../lib/http/route.ts";
import { docsPage } from "../lib/openapi/docs-page.ts";
import { openApiDocument } from "../lib/openapi/document.ts";

export const handler = defineRoute(CONTRACTS.docs, async () =>
  rawResponse(200, docsPage(openApiDocument() as Parameters<typeof docsPage>[0]), { "content-type": "text/html; charset=utf-8" }),
);
