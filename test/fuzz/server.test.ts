/**
 * Fuzz of the running local server over real HTTP (createServer + listen on port 0, CI fake on): the route
 * requests of route-requests.ts written to the socket, then what only a real connection can carry — odd paths
 * (percent-encoding, "..", Unicode, very long), every method on every path, lying or malformed Content-Length,
 * chunked bodies, oversized headers. Every answer must pass reply-checks.ts; after each batch the server still
 * answers GET /sdapi/v1/progress at once.
 */
import type http from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTE, ROUTES, type RouteDefinition, type RouteName } from "../../lib/a1111/routes/table.ts";
import { createServer, listen } from "../../lib/platform/server/server.ts";
import { findRoute } from "../../lib/platform/server/router.ts";
import { sampleRequests, sampleUrl, type SampleRequest } from "../fixtures/sample-requests.ts";
import { ciServices } from "../fixtures/services.ts";
import { defaultRuns, FuzzStats, runProperty } from "./fuzz-runner.ts";
import { buildImagePool, type ImageFile } from "./hostile-images.ts";
import { exchange, parseResponse, requestBytes, type WireRequest } from "./http-wire.ts";
import { notAKnownFinding } from "./known-platform-findings.ts";
import { REQUEST_BOUND_MS, replyProblems } from "./reply-checks.ts";
import { routeRequests, type FuzzRequest } from "./route-requests.ts";
import { oddString } from "./hostile-values.ts";

const stats = new FuzzStats();
let server: http.Server;
let port: number;
let pool: ImageFile[];
let samples: Record<RouteName, SampleRequest>;
const services = ciServices();

beforeAll(async () => {
  [pool, samples] = await Promise.all([buildImagePool(), sampleRequests()]);
  server = createServer(services);
  ({ port } = await listen(server, "127.0.0.1", 0));
});

afterAll(async () => {
  stats.print("fuzz over HTTP");
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A fuzz case on the wire: the request, and how lenient the check is about a missing answer. */
interface WireCase {
  readonly group: string;
  readonly request: FuzzRequest;
  readonly wire: WireRequest;
  /** True when the request's own framing promises bytes it never sends: closing without an answer is fine. */
  readonly mayGoUnanswered: boolean;
}

/** The route a method and path reach, as the server's router sees them. */
function routeOf(method: string, target: string): RouteDefinition | null {
  const match = findRoute(method.toUpperCase(), target.split("?", 1)[0]!);
  return typeof match === "string" ? null : match.route;
}

function wireCase(request: FuzzRequest, wire: Partial<WireRequest> = {}, mayGoUnanswered = false): WireCase {
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, "utf8");
  const headers = Object.entries(request.headers).map(([name, value]) => [name, value] as const);
  return { group: request.group, request, wire: { method: request.method, target: request.url, headers, body, ...wire }, mayGoUnanswered };
}

async function check(c: WireCase): Promise<void> {
  const start = performance.now();
  const { bytes, timedOut } = await exchange(port, requestBytes(c.wire), c.wire.halfClose ?? false, REQUEST_BOUND_MS + 1000);
  const elapsed = performance.now() - start;
  const reply = parseResponse(bytes);
  if (!reply) {
    stats.record(c.group, timedOut ? "timeout" : "closed", elapsed);
    if (timedOut) throw new Error(`no answer within ${REQUEST_BOUND_MS + 1000} ms`);
    if (!c.mayGoUnanswered) throw new Error(`connection closed without an answer (${bytes.length} bytes read)`);
    return;
  }
  stats.record(c.group, reply.status, elapsed);
  const problems = replyProblems(reply, elapsed, routeOf(c.wire.method, c.wire.target), c.wire.method);
  if (problems.length > 0) throw new Error(`${problems.join("; ")}\nanswer ${reply.status} ${JSON.stringify(reply.headers)}: ${reply.text.slice(0, 600)}`);
}

async function expectResponsive() {
  const start = performance.now();
  const reply = parseResponse((await exchange(port, requestBytes({ method: "GET", target: "/sdapi/v1/progress", headers: [], body: Buffer.alloc(0) }), false, 2000)).bytes);
  expect(reply?.status).toBe(200);
  expect(performance.now() - start).toBeLessThan(500);
}

const property = (cases: fc.Arbitrary<WireCase>) =>
  fc.asyncProperty(
    cases.filter((c) => notAKnownFinding(c.request, c.wire)),
    check,
  );

/** Runs per route over HTTP. */
const ROUTE_RUNS = 60;

describe("every route over HTTP", () => {
  it("the route requests, written to the socket", async () => {
    for (const [name, definition] of Object.entries(ROUTE) as Array<[RouteName, RouteDefinition]>) {
      if (!ROUTES.includes(definition)) continue;
      const sample = samples[name] ?? {};
      const samplePath = await sampleUrl(definition.path, { ...sample, query: undefined }, services);
      const { requests } = routeRequests(name, definition, sample, samplePath, pool);
      await runProperty(`server route ${name}`, property(requests.map((r) => wireCase(r))), ROUTE_RUNS);
    }
    await expectResponsive();
  }, 300_000);
});

const METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD", "get", "Post", "FOO", "TRACE"];

/** Request targets no route has, or has only in another spelling. */
const oddTargets: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "/",
    "/sdapi/v1/",
    "/sdapi/v1/txt2img/",
    "/SDAPI/V1/TXT2IMG",
    "/sdapi/v1/txt2img/..",
    "/sdapi/v1/../v1/txt2img",
    "//sdapi//v1//txt2img",
    "/sdapi/v1/txt2img%00",
    "/sdapi/v1/txt2img;x=1",
    "/sdapi/v1/txt2img#frag",
    "/%",
    "/%zz",
    "/%ED%A0%80",
    "/serena/v1/jobs/%25",
    "/serena/v1/jobs/%",
    "/serena/v1/jobs/..",
    "/serena/v1/jobs/%2e%2e",
    "/serena/v1/jobs/%2F..%2F",
    "/serena/v1/jobs/a/b",
    "/serena/v1/jobs/",
    "/serena/v1/jobs//",
    "/serena/v1/jobs/%E2%80%AE",
    "/serena/v1/jobs/%F0%9F%90%B1",
    "/docs/../openapi.json",
    "/openapi.json?%",
    "/sdapi/v1/progress?skip_current_image=%ZZ",
    "/sdapi/v1/progress?toString=1&valueOf=2&__proto__=3&constructor=4",
    "*",
    "http://127.0.0.1/sdapi/v1/progress",
    `/sdapi/v1/${"a".repeat(8000)}`,
    `/serena/v1/jobs/${"%41".repeat(2500)}`,
  ),
  oddString.map((s) => `/serena/v1/jobs/${encodeURIComponent(s.toWellFormed())}`),
  fc.constantFrom(...ROUTES.map((r) => r.path)).map((path) => path.replace(/\{id\}/, "00000000-0000-4000-8000-000000000000")),
);

describe("odd paths and methods", () => {
  it("every method on odd targets and on every route's path", async () => {
    const cases = fc.tuple(fc.constantFrom(...METHODS), oddTargets, fc.constantFrom(undefined, "{}", '{"prompt": "a"}')).map(([method, target, body]) =>
      wireCase({ group: `path ${method.toUpperCase() === method ? method : "odd-case"}`, method, url: target, headers: body ? { "content-type": "application/json" } : {}, body, version: "v2" }),
    );
    await runProperty("server paths and methods", property(cases), 1200);
    await expectResponsive();
  }, 300_000);
});

describe("framing", () => {
  const post = (body: string, headers: Record<string, string> = { "content-type": "application/json" }): FuzzRequest => ({
    group: "framing",
    method: "POST",
    url: "/sdapi/v1/png-info",
    headers,
    body,
    version: "v2",
  });
  const body = JSON.stringify({ image: "x".repeat(64) });

  it("lying, malformed or chunked bodies, and oversized headers", async () => {
    const cases: fc.Arbitrary<WireCase> = fc.oneof(
      // More promised than sent, then the client stops writing: there is nothing to answer, but no crash either.
      fc.constantFrom(1, 100, 10_000_000).map((extra) => wireCase({ ...post(body), group: "framing: long Content-Length" }, { contentLength: String(body.length + extra), halfClose: true }, true)),
      // Less promised than sent: the first answer is for the cut body.
      fc.constantFrom(0, 1, 10, body.length - 1).map((length) => wireCase({ ...post(body), group: "framing: short Content-Length" }, { contentLength: String(length) })),
      // Content-Length over the body limit, for a body never sent.
      fc.constant(wireCase({ ...post(body), group: "framing: huge Content-Length" }, { contentLength: String(11 * 1024 * 1024), halfClose: true }, true)),
      fc.constantFrom("abc", "-1", "1e3", "0x10", " 5", "5, 5", "99999999999999999999").map((value) => wireCase({ ...post(body), group: "framing: malformed Content-Length" }, { contentLength: value })),
      fc.constant(wireCase({ ...post(body), group: "framing: chunked" }, { chunked: "valid" })),
      fc.constantFrom("zz\r\n{}\r\n0\r\n\r\n", "5\r\n{}\r\n", "0\r\n", "ffffffffffffffff\r\n").map((raw) => wireCase({ ...post(raw), group: "framing: bad chunks" }, { chunked: "raw", halfClose: true }, true)),
      fc.constant(wireCase({ ...post(body), group: "framing: chunked and Content-Length" }, { chunked: "valid", contentLength: String(body.length) })),
      fc.constantFrom(8 * 1024, 20 * 1024).map((n) => wireCase({ ...post(body, { "content-type": "application/json", "x-big": "h".repeat(n) }), group: `framing: ${n / 1024} KiB header` })),
      fc.constant(wireCase({ ...post(body, { "content-type": "application/json", "x-bad": "a\u0001b" }), group: "framing: control byte in a header" })),
      fc.constant(wireCase({ ...post(body, { "content-type": "application/json", expect: "100-continue" }), group: "framing: expect 100-continue" })),
    );
    await runProperty("server framing", property(cases), 400);
    await expectResponsive();
  }, 300_000);
});

describe("the fuzz over HTTP covers what it claims", () => {
  it.skipIf(!defaultRuns)("ran at least 4,000 cases, its share of the 10,000 npm test runs", () => {
    expect(stats.total).toBeGreaterThanOrEqual(4000);
  });
});

describe("KNOWN_PLATFORM_FINDINGS are still findings", () => {
  // When one of these fails, the platform fixed the finding: delete its entry from known-platform-findings.ts, and
  // the fuzz sends those inputs again.
  it("node-parser-errors-without-json: a lowercase method still gets Node's bare 400", async () => {
    const request: FuzzRequest = { group: "known", method: "get", url: "/sdapi/v1/progress", headers: {}, version: "v2" };
    expect(notAKnownFinding(request, wireCase(request).wire)).toBe(false);
    const reply = parseResponse((await exchange(port, requestBytes(wireCase(request).wire), false, 2000)).bytes);
    expect(reply?.status).toBe(400);
    expect(reply?.text).toBe("");
  });
});
