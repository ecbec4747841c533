/**
 * The /docs page as a browser shows it: the real local server (lib/platform/server) serves the page, Swagger UI's
 * files and /openapi.json; headless Chromium loads the page, runs its scripts and dumps the DOM. Swagger UI builds
 * one element per operation (`data-path` on its summary), so finding them proves the page's scripts ran, found their
 * assets, obeyed the page's Content-Security-Policy and rendered the OpenAPI document.
 *
 * Without a Chromium binary the browser test is skipped and says why, unless SERENA_REQUIRE_BROWSER=1, which makes
 * it fail. The page's headers and its asset route (an allow-list of files, typed and cacheable) need no browser.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../lib/platform/config.ts";
import { createServices } from "../../lib/platform/runtime/services.ts";
import { createServer, listen } from "../../lib/platform/server/server.ts";

const BROWSER_NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/** The first browser binary on PATH (or SERENA_CHROMIUM), or null. */
function findBrowser(): string | null {
  const candidates = process.env.SERENA_CHROMIUM
    ? [process.env.SERENA_CHROMIUM]
    : (process.env.PATH ?? "").split(path.delimiter).flatMap((dir) => BROWSER_NAMES.map((name) => path.join(dir, name)));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there; try the next one
    }
  }
  return null;
}

const browser = findBrowser();
const requireBrowser = process.env.SERENA_REQUIRE_BROWSER === "1";
const NO_BROWSER = `no Chromium binary (${BROWSER_NAMES.join(", ")} on PATH, or SERENA_CHROMIUM)`;
/** Shown in the test's name and the skip note, so a run without a browser says so. */
const SKIP_REASON = `skipped: ${NO_BROWSER}; install Debian's chromium, or set SERENA_REQUIRE_BROWSER=1 to make this a failure`;

/** The DOM after the page's scripts ran, as Chromium's --dump-dom prints it. */
function renderedDom(url: string): Promise<string> {
  const profile = mkdtempSync(path.join(os.tmpdir(), "serena-chromium-"));
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    `--user-data-dir=${profile}`,
    "--virtual-time-budget=5000",
    "--dump-dom",
    url,
  ];
  return new Promise<string>((resolve, reject) => {
    execFile(browser!, args, { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      rmSync(profile, { recursive: true, force: true });
      if (error) reject(error);
      else resolve(stdout);
    });
  });
}

let server: http.Server | undefined;
let base = "";

beforeAll(async () => {
  server = createServer(createServices(parseConfig({ CI: "true", SERENA_BACKEND: "none", SERENA_LOG_LEVEL: "silent" })));
  const { port } = await listen(server, "127.0.0.1", 0);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server!.close(resolve));
});

describe("/docs in a headless browser", () => {
  const name = "renders every operation of /openapi.json with Swagger UI";
  it(browser || requireBrowser ? name : `${name} [${SKIP_REASON}]`, async (ctx) => {
    if (!browser) {
      if (requireBrowser) throw new Error(`SERENA_REQUIRE_BROWSER=1, but there is ${NO_BROWSER}`);
      console.warn(`/docs browser test ${SKIP_REASON}`);
      ctx.skip(SKIP_REASON);
    }
    const dom = await renderedDom(`${base}/docs`);
    // Swagger UI's root and its operation filter exist only once its bundle has run.
    expect(dom).toContain('class="swagger-ui"');
    expect(dom).toContain("operation-filter-input");
    const rendered = new Set([...dom.matchAll(/data-path="([^"]+)"/g)].map((m) => m[1]));
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(rendered).toEqual(new Set(Object.keys(document.paths)));
    expect(rendered).toContain("/sdapi/v1/txt2img");
    expect(rendered).toContain("/sdapi/v1/interrogate");
  });

  it("is served with a Content-Security-Policy that allows only this origin's scripts, and has no inline script", async () => {
    const response = await fetch(`${base}/docs`);
    expect(response.headers.get("content-security-policy")).toMatch(/script-src 'self'(;|$)/);
    expect(await response.text()).not.toMatch(/<script(?![^>]*\ssrc=)/);
  });
});

describe("/docs/assets/{file}", () => {
  const swaggerUiFile = (name: string) => readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json")), name), "utf8");

  it.each([
    ["swagger-ui-bundle.js", "text/javascript; charset=utf-8"],
    ["swagger-ui.css", "text/css; charset=utf-8"],
  ])("serves swagger-ui-dist's %s as it ships, typed, cacheable, nosniff", async (name, type) => {
    const response = await fetch(`${base}/docs/assets/${name}?v=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(type);
    expect(response.headers.get("cache-control")).toBe("public, max-age=86400");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toBe(swaggerUiFile(name));
  });

  it("serves the page's own start-up script, which loads openapi.json relative to the page", async () => {
    const response = await fetch(`${base}/docs/assets/serena-docs.js`);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await response.text()).toContain('url: "openapi.json"');
  });

  it.each(["index.html", "package.json", "swagger-ui-bundle.js.map", "..%2Fpackage.json", "__proto__", "constructor"])("%s is 404", async (name) => {
    const response = await fetch(`${base}/docs/assets/${name}`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  });
});
