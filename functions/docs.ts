import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { rawResponse } from "../lib/platform/http/response.ts";
import { defineRoute } from "../lib/platform/http/route.ts";
import { docsPage } from "../lib/a1111/openapi/docs-page.ts";
import { openApiDocument } from "../lib/a1111/openapi/document.ts";

export const handler = defineRoute(CONTRACTS.docs, async () =>
  rawResponse(200, docsPage(openApiDocument() as Parameters<typeof docsPage>[0]), { "content-type": "text/html; charset=utf-8" }),
);
