/**
 * Every route of lib/a1111/routes/table.ts has a test of its own that calls its handler, beside the sweep in
 * test/api/contracts.test.ts that sends each route one sample request. "Its own": a test file outside test/infra
 * that names the route's path as a string (path parameters filled in any way) or its handler module by name, calls
 * handlers (the API client of test/fixtures/api.ts, a handler module, or the local server over fetch) and uses the
 * route's method.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROUTES, routeKey, type RouteDefinition } from "../../lib/a1111/routes/table.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** The sweep covers every route by construction, so it does not count as a route's own test. */
const SWEEPS = new Set(["test/api/contracts.test.ts"]);

const sourcesUnder = (dir: string) =>
  readdirSync(path.join(ROOT, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => {
      const file = path.posix.join(dir, f.split(path.sep).join("/"));
      return { file, source: readFileSync(path.join(ROOT, file), "utf8") };
    });

/**
 * String constants in capitals (`const JOBS = "/serena/v1/jobs"`) from lib/ and test/, so that a test writing
 * `client.get(\`${JOBS}/${id}\`)` names the path too. A name given two values is left out.
 */
function stringConstants(files: { source: string }[]): Map<string, string> {
  const values = new Map<string, Set<string>>();
  for (const { source } of files) {
    for (const [, name, value] of source.matchAll(/\bconst\s+([A-Z][A-Z0-9_]*)\s*=\s*"([^"]*)"/g)) {
      values.set(name!, (values.get(name!) ?? new Set()).add(value!));
    }
  }
  return new Map([...values].filter(([, v]) => v.size === 1).map(([name, v]) => [name, [...v][0]!]));
}

const sources = [...sourcesUnder("lib"), ...sourcesUnder("test")];
const constants = stringConstants(sources);

/** A test's source with its string constants written out: `${JOBS}/x` → `/serena/v1/jobs/x`, JOBS → "/serena/v1/jobs". */
function expandConstants(source: string, constants: Map<string, string>): string {
  let expanded = source;
  for (const [name, value] of constants) {
    expanded = expanded.replaceAll(`\${${name}}`, value).replace(new RegExp(`\\b${name}\\b`, "g"), JSON.stringify(value));
  }
  return expanded;
}

const testFiles = sources
  .filter(({ file }) => file.startsWith("test/") && file.endsWith(".test.ts") && !file.startsWith("test/infra/") && !SWEEPS.has(file))
  .map(({ file, source }) => ({ file, source: expandConstants(source, constants) }));

const CALLS_HANDLERS = /\bapiClient\(|\bloadRouteHandler\(|\bfetch\(|from\s+["'][./]+functions\//;

const METHOD_USED: Record<RouteDefinition["method"], RegExp> = {
  GET: /\bget\(|\bfetch\(|["']GET["']/,
  POST: /\bpost\(|["']POST["']/,
  DELETE: /\bdelete\(|["']DELETE["']/,
};

/** The path as it appears in a string or template literal: "/a/b", `/a/${x}`, `${base}/a/b?q=1`. */
function pathLiteral(routePath: string): RegExp {
  const segments = routePath
    .split(/\{[^}]+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(String.raw`(?:[^/"'\x60?\s]+|\$\{[^}]+\})`);
  return new RegExp(String.raw`["'\x60}]${segments}["'\x60?]`);
}

/** The handler module by name: loadRouteHandler("jobs-get"), import("../../functions/jobs-get.ts"). */
const fileLiteral = (file: string) => new RegExp(String.raw`["'\x60](?:[./]*functions/)?${file}(?:\.ts)?["'\x60]`);

const testsOf = (route: RouteDefinition) =>
  testFiles
    .filter(({ source }) => pathLiteral(route.path).test(source) || fileLiteral(route.file).test(source))
    .filter(({ source }) => CALLS_HANDLERS.test(source) && METHOD_USED[route.method].test(source))
    .map(({ file }) => file);

describe("the route table's tests", () => {
  it.each(ROUTES.map((r) => [routeKey(r), r] as const))("%s has a test that calls its handler", (_key, route) => {
    const reason = `no test file outside test/infra names ${route.path} or ${route.file}, calls handlers and uses ${route.method}`;
    expect(testsOf(route), reason).not.toEqual([]);
  });
});

describe("the matching", () => {
  it("writes out string constants, bare and in template literals", () => {
    const source = 'const OPTIONS = "/sdapi/v1/options"; client.post(OPTIONS, {}); get(`${OPTIONS}?x=1`)';
    const expanded = expandConstants(source, stringConstants([{ source }]));
    expect(expanded).toContain('client.post("/sdapi/v1/options", {})');
    expect(expanded).toContain("get(`/sdapi/v1/options?x=1`)");
  });

  it("finds a path with its parameter filled in, and only that path", () => {
    const pattern = pathLiteral("/serena/v1/jobs/{id}");
    expect(pattern.test("client.get(`/serena/v1/jobs/${job.id}`)")).toBe(true);
    expect(pattern.test('client.send("DELETE", "/serena/v1/jobs/abc123")')).toBe(true);
    expect(pattern.test('client.get("/serena/v1/jobs")')).toBe(false);
    expect(pattern.test('client.get("/serena/v1/jobs/abc/images")')).toBe(false);
  });

  it("finds a path followed by a query, or after a base URL", () => {
    expect(pathLiteral("/sdapi/v1/progress").test('get("/sdapi/v1/progress?skip_current_image=true")')).toBe(true);
    expect(pathLiteral("/sdapi/v1/progress").test("fetch(`${base}/sdapi/v1/progress`)")).toBe(true);
    expect(pathLiteral("/sdapi/v1/progress").test('"/sdapi/v1/progressive"')).toBe(false);
  });

  it("finds a handler module by its whole name", () => {
    expect(fileLiteral("jobs-get").test('await loadRouteHandler("jobs-get")')).toBe(true);
    expect(fileLiteral("jobs-get").test('import("../../functions/jobs-get.ts")')).toBe(true);
    expect(fileLiteral("get").test('loadRouteHandler("jobs-get")')).toBe(false);
  });
});
