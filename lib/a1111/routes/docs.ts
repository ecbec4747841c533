/** `/openapi.json`, the `/docs` page (Swagger UI) and the page's asset files, all made from the route table. */
import { createHash } from "node:crypto";
import { notFound } from "../errors.ts";
import { SERENA_VERSION } from "../generation/infotext.ts";
import { DOCS_SCRIPT, docsAsset, swaggerUiVersion } from "../openapi/docs-assets.ts";
import { DOCS_CSP, docsPage } from "../openapi/docs-page.ts";
import { openApiDocument, type OpenApiOptions } from "../openapi/document.ts";
import { implement, routeResult } from "./route.ts";
import { ROUTE } from "./table.ts";

/** The document differs only by whether Basic auth applies (its `security`), so each variant is made once. */
const documents = new Map<boolean, Record<string, unknown>>();
const cachedDocument = (options: OpenApiOptions) => {
  let doc = documents.get(options.apiAuth);
  if (!doc) documents.set(options.apiAuth, (doc = openApiDocument(options)));
  return doc;
};

export const openapi = implement(ROUTE.openapi, async (_input, ctx) => cachedDocument({ apiAuth: ctx.services.server.apiAuth }));

/** Swagger UI's version and a digest of Serena's own script: either changing gives the assets new URLs. */
const assetVersion = async () => `${await swaggerUiVersion()}-${createHash("sha256").update(DOCS_SCRIPT).digest("hex").slice(0, 12)}`;

export const docs = implement(ROUTE.docs, async () =>
  routeResult(200, docsPage({ title: "Serena", version: SERENA_VERSION, assetVersion: await assetVersion() }), {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": DOCS_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
  }),
);

/**
 * The page's scripts and stylesheet. Their URLs carry the version (`?v=`), so browsers may keep them for a day without
 * asking again; `nosniff` makes the browser hold each file to its declared type.
 */
export const docsAssetFile = implement(ROUTE["docs-asset"], async ({ pathParameters }) => {
  const asset = docsAsset(pathParameters.file ?? "");
  if (!asset) throw notFound("Not Found");
  const { body, contentType } = await asset;
  return routeResult(200, body, { "content-type": contentType, "cache-control": "public, max-age=86400", "x-content-type-options": "nosniff" });
});
