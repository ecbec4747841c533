/**
 * Fuzz of every route of the route table through its Lambda handler, as API Gateway invokes it (test/fixtures/api.ts
 * with the CI fake): thousands of mutated requests per generation route, hundreds per listing route, both event
 * versions, odd headers, then the same with Basic auth and CORS configured. Every reply must pass reply-checks.ts,
 * and after each batch the services must still answer GET /sdapi/v1/progress at once.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTE, ROUTES, type RouteDefinition, type RouteName } from "../../lib/a1111/routes/table.ts";
import type { Services } from "../../lib/platform/runtime/services.ts";
import { apiClient, type ApiClient } from "../fixtures/api.ts";
import { sampleRequests, sampleUrl, type SampleRequest } from "../fixtures/sample-requests.ts";
import { ciServices, type TestEnv } from "../fixtures/services.ts";
import { defaultRuns, FuzzStats, runProperty, runs } from "./fuzz-runner.ts";
import { buildImagePool, type ImageFile } from "./hostile-images.ts";
import { notAKnownFinding } from "./known-platform-findings.ts";
import { replyProblems } from "./reply-checks.ts";
import { routeRequests, type FuzzRequest } from "./route-requests.ts";

/** Runs per route: many for the routes that read bodies and images, fewer for the listings. */
const RUNS: Partial<Record<RouteName, number>> = {
  txt2img: 900,
  img2img: 800,
  "png-info": 700,
  "extra-single-image": 600,
  "extra-batch-images": 400,
  "options-set": 500,
  "jobs-create": 600,
  progress: 200,
  "jobs-get": 200,
  "jobs-cancel": 200,
};
const DEFAULT_RUNS = 80;
/** In the route table's order; the table is ROUTES. */
const ROUTE_NAMES = (Object.keys(ROUTE) as RouteName[]).filter((name) => ROUTES.includes(ROUTE[name]));

const stats = new FuzzStats();
let pool: ImageFile[];
let samples: Record<RouteName, SampleRequest>;

beforeAll(async () => {
  [pool, samples] = await Promise.all([buildImagePool(), sampleRequests()]);
});

afterAll(() => {
  stats.print("fuzz through the handlers");
});

/** Sends one fuzz request through the handler of its route; "no route" when the path matches none (sent over HTTP instead). */
async function send(client: ApiClient, request: FuzzRequest) {
  try {
    return await client.send(request.method, request.url, request.body, { headers: { ...request.headers }, version: request.version });
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("no route for")) return null;
    throw error;
  }
}

/**
 * test/fixtures/events.ts builds v1 events with `(multiValueQueryStringParameters[key] ??= []).push(…)` on a plain
 * object, which throws for query keys that name Object.prototype members ("valueOf", "toString"…). API Gateway
 * itself has no such problem; until the fixture uses a prototype-free object, those requests go as v2 events only.
 */
const fixtureBuilds = (request: FuzzRequest) =>
  request.version === "v2" || ![...new URLSearchParams(request.url.split("?", 2)[1] ?? "").keys()].some((key) => key in Object.prototype);

/** The property for one route on `services`: each request answered within the rules. */
function routeProperty(name: RouteName, route: RouteDefinition, client: ApiClient, samplePath: string, label: string) {
  const { requests } = routeRequests(name, route, samples[name] ?? {}, samplePath, pool);
  return fc.asyncProperty(requests.filter((r) => notAKnownFinding(r)).filter(fixtureBuilds), async (request) => {
    const start = performance.now();
    const reply = await send(client, request);
    const elapsed = performance.now() - start;
    if (reply === null) {
      stats.record(label, "no route");
      return;
    }
    stats.record(label, reply.status, elapsed);
    const problems = replyProblems(reply, elapsed, route, request.method);
    if (problems.length > 0) throw new Error(`${problems.join("; ")}\nreply ${reply.status}: ${reply.text.slice(0, 600)}`);
  });
}

/** After a batch, the same services still answer the progress route at once. */
async function expectResponsive(client: ApiClient, headers: Record<string, string>) {
  const start = performance.now();
  const reply = await client.get("/sdapi/v1/progress", { headers });
  expect(reply.status).toBe(200);
  expect(performance.now() - start).toBeLessThan(500);
}

async function fuzzRoute(name: RouteName, env: TestEnv, runs: number, label: string, headers: Record<string, string> = {}) {
  const route = ROUTE[name];
  const services: Services = ciServices(env);
  const client = apiClient(services, { headers });
  // A route without a sample yet is fuzzed from an empty body (its path parameters are generated).
  const sample = samples[name] ?? {};
  const samplePath = await sampleUrl(route.path, { ...sample, query: undefined }, services);
  // Load the route's module before timing anything.
  await client.send(route.method, await sampleUrl(route.path, sample, services), sample.body, {
    headers: env.SERENA_API_AUTH ? { authorization: `Basic ${Buffer.from(env.SERENA_API_AUTH).toString("base64")}` } : {},
  });
  await runProperty(`handlers ${label}`, routeProperty(name, route, client, samplePath, label), runs);
  await expectResponsive(client, env.SERENA_API_AUTH ? { authorization: `Basic ${Buffer.from(env.SERENA_API_AUTH).toString("base64")}` } : {});
}

describe("every route through its handler (CI fake)", () => {
  it.each(ROUTE_NAMES)("%s", async (name) => {
    await fuzzRoute(name, {}, RUNS[name] ?? DEFAULT_RUNS, name);
  }, 300_000);
});

describe("every route with Basic auth and CORS configured", () => {
  const auth = { SERENA_API_AUTH: "user:secret", SERENA_CORS_ALLOW_ORIGINS: "https://app.example" };
  const credentials = { authorization: `Basic ${Buffer.from("user:secret").toString("base64")}` };

  it("without credentials or with fuzzed ones: 401s in A1111's shape, never more", async () => {
    for (const name of ROUTE_NAMES) await fuzzRoute(name, auth, 20, `auth:${name}`);
  }, 300_000);

  it("with valid credentials: the routes answer as without auth", async () => {
    for (const name of ["txt2img", "png-info", "options-set", "jobs-create", "progress"] as RouteName[]) await fuzzRoute(name, auth, 60, `auth-ok:${name}`, credentials);
  }, 300_000);
});

describe("the fuzz covers what it claims", () => {
  it("sent requests to every route of the route table", () => {
    for (const name of ROUTE_NAMES) expect(stats.casesOf(name), name).toBeGreaterThanOrEqual(runs(RUNS[name] ?? DEFAULT_RUNS));
  });

  it.skipIf(!defaultRuns)("ran at least 9,000 cases, its share of the 10,000 npm test runs", () => {
    expect(stats.total).toBeGreaterThanOrEqual(9000);
  });
});
