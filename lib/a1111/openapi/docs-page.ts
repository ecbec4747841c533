/**
 * The `/docs` page: Swagger UI (the interactive reference FastAPI, and so A1111, serves at `/docs`) rendering
 * `/openapi.json`. Its scripts and stylesheet are Serena's own `/docs/assets/…` files (docs-assets.ts); the page has
 * no inline script or style, so its Content-Security-Policy allows this origin only.
 */
import { DOCS_SCRIPT_NAME } from "./docs-assets.ts";

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * What the page may load: scripts, styles, the document and "try it out" requests from this origin; Swagger UI's
 * icons are `data:` images. React sets element styles through the DOM, which `style-src` does not restrict.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export interface DocsPageInfo {
  readonly title: string;
  readonly version: string;
  /** Appended to asset URLs so that a new version is fetched past any cache. */
  readonly assetVersion: string;
}

/** Asset URLs are relative to the page (`/docs` → `/docs/assets/…`), so the page works behind a path prefix too. */
export function docsPage(info: DocsPageInfo): string {
  const asset = (name: string) => escape(`docs/assets/${name}?v=${encodeURIComponent(info.assetVersion)}`);
  const title = escape(`${info.title} ${info.version} API`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="${asset("swagger-ui.css")}">
</head>
<body>
<noscript><p>${title}: this page needs JavaScript. The machine-readable description is <a href="openapi.json">/openapi.json</a> (OpenAPI 3.1).</p></noscript>
<div id="swagger-ui"></div>
<script src="${asset("swagger-ui-bundle.js")}"></script>
<script src="${asset(DOCS_SCRIPT_NAME)}"></script>
</body>
</html>
`;
}
