/**
 * Every route in lib/a1111/routes/table.ts, invoked as API Gateway invokes it (HTTP API v2 and REST v1 events), answers 200
 * with a body that its contract's zod response schema accepts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { HTTPErrorBody } from "../../lib/a1111/schemas/errors.ts";
import { GenerationInfo, GenerationResponse } from "../../lib/a1111/schemas/generation-response.ts";
import { readdirSync } from "node:fs";
import { ROUTES, type RouteName } from "../../lib/a1111/routes/table.ts";
import { apiClient, loadRouteHandler, type ApiClient } from "../fixtures/api.ts";
import type { EventVersion } from "../fixtures/events.ts";
import type { Services } from "../../lib/platform/runtime/services.ts";
import { sampleRequests, sampleUrl, type SampleRequest } from "../fixtures/sample-requests.ts";
import { ciServices } from "../fixtures/services.ts";

const contractOf = (file: string) => ROUTES.find((r) => r.file === file)!;

describe("the route table", () => {
  it("names each route's function once, and each function file exports that route's handler", async () => {
    const names = ROUTES.map((r) => r.file);
    expect(new Set(names).size).toBe(names.length);
    const files = readdirSync(new URL("../../functions/", import.meta.url)).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3));
    // job-runner is a plain Lambda handler (async jobs), not an HTTP route.
    expect(new Set(files)).toEqual(new Set([...names, "job-runner"]));
  });

  it("has no two routes with the same method and path", () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(ROUTES.map((r) => [r.file]))("functions/%s.ts exports a handler that can be bound to services", async (file) => {
    const handler = await loadRouteHandler(file);
    expect(typeof handler).toBe("function");
    expect(typeof handler.withServices).toBe("function");
  });

  it("stays within API Gateway's 30 s integration timeout", () => {
    for (const route of ROUTES) expect(route.timeout).toBeLessThan(30);
  });
});

describe.each<EventVersion>(["v2", "v1"])("every route with %s events", (version) => {
  let client: ApiClient;
  let services: Services;
  let samples: Record<RouteName, SampleRequest>;
  beforeAll(async () => {
    services = ciServices();
    client = apiClient(services, { version });
    samples = await sampleRequests();
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))("%s answers its success status with its contract's response", async (_name, route) => {
    const sample = samples[route.file as RouteName];
    const reply = await client.send(route.method, await sampleUrl(route.path, sample, services), sample.body);
    expect(reply.status, reply.text.slice(0, 500)).toBe(sample.status ?? contractOf(route.file).status ?? 200);
    // A1111's log_and_time middleware adds X-Process-Time to every response (docs/a1111-semantics.md §1).
    expect(reply.headers["x-process-time"]).toMatch(/^\d+\.\d{4}$/);
    if (sample.status !== undefined) return expect(HTTPErrorBody.safeParse(reply.json()).success).toBe(true);
    const contract = contractOf(route.file);
    if (contract.response === null) {
      expect(reply.headers["content-type"]).toContain(contract.produces);
      return;
    }
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    const parsed = contract.response.safeParse(reply.json());
    expect(parsed.error?.issues ?? []).toEqual([]);
    if (contract.response === GenerationResponse) expect(GenerationInfo.safeParse(JSON.parse(reply.json().info)).success).toBe(true);
  });
});
