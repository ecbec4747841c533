/** `/openapi.json` and `/docs`, both made from the route table. */
import { docsPage } from "../openapi/docs-page.ts";
import { openApiDocument } from "../openapi/document.ts";
import { implement, routeResult } from "./route.ts";
import { ROUTE } from "./table.ts";

let document: Record<string, unknown> | undefined;
const cachedDocument = () => (document ??= openApiDocument());

export const openapi = implement(ROUTE.openapi, async () => cachedDocument());

export const docs = implement(ROUTE.docs, async () =>
  routeResult(200, docsPage(cachedDocument() as Parameters<typeof docsPage>[0]), { "content-type": "text/html; charset=utf-8" }),
);
