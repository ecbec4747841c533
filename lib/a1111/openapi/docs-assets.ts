/**
 * The files the `/docs` page loads, served by Serena itself (no CDN): Swagger UI's browser bundle and stylesheet from
 * the `swagger-ui-dist` npm package, and the page's own start-up script. Only the names below are served; anything
 * else is a 404, so a path parameter can never reach another file.
 *
 * `swagger-ui-dist` is a file dependency, not code Serena runs: its folder is found through Node's resolver and the
 * two files are read as text (importing the package would load the 1.7 MB bundle into the server). A bundler cannot
 * see such reads, so the deployment installs the package beside the function's bundle (`install` in the route table,
 * infra/api.ts).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

export interface DocsAsset {
  readonly body: string;
  readonly contentType: string;
}

/**
 * The page's start-up script, a file rather than an inline script so that the page's Content-Security-Policy can
 * allow scripts from this origin only. The OpenAPI document's URL is relative to the page (`/docs` → `/openapi.json`),
 * which keeps it right behind a path prefix; `validatorUrl: null` keeps Swagger UI from sending the document to
 * swagger.io's validator.
 */
export const DOCS_SCRIPT = `"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
    filter: true,
    tryItOutEnabled: false,
  });
});
`;

/** Files of swagger-ui-dist the page uses, with their content types. */
const PACKAGE_FILES: ReadonlyMap<string, string> = new Map([
  ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
  ["swagger-ui.css", "text/css; charset=utf-8"],
]);

/** The page's own script. */
export const DOCS_SCRIPT_NAME = "serena-docs.js";

let packageDir: string | undefined;
const swaggerUiDir = () => (packageDir ??= path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json")));

let version: Promise<string> | undefined;
/** swagger-ui-dist's version, which the page puts in the asset URLs so that an upgrade is not hidden by caches. */
export const swaggerUiVersion = () =>
  (version ??= readFile(path.join(swaggerUiDir(), "package.json"), "utf8").then((text) => (JSON.parse(text) as { version: string }).version));

const cache = new Map<string, Promise<DocsAsset>>();

/** The asset named `name`, or null when it is not one the page uses. Files are read once per process. */
export function docsAsset(name: string): Promise<DocsAsset> | null {
  if (name === DOCS_SCRIPT_NAME) return Promise.resolve({ body: DOCS_SCRIPT, contentType: "text/javascript; charset=utf-8" });
  const contentType = PACKAGE_FILES.get(name);
  if (!contentType) return null;
  let asset = cache.get(name);
  if (!asset) {
    asset = readFile(path.join(swaggerUiDir(), name), "utf8").then((body) => ({ body, contentType }));
    // A failed read (a deployment without the package) is tried again on the next request.
    asset.catch(() => cache.delete(name));
    cache.set(name, asset);
  }
  return asset;
}
