/**
 * Every route in lib/a1111/routes/table.ts, invoked as API Gateway invokes it (HTTP API v2 and REST v1 events), answers 200
 * with a body that its contract's zod response schema accepts.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { CONTRACTS, type Contract, type RouteFile } from "../../lib/a1111/routes/contracts.ts";
import { GenerationInfo, GenerationResponse } from "../../lib/a1111/schemas/generation-response.ts";
import { ROUTES } from "../../lib/a1111/routes/table.ts";
import { apiClient, loadRouteHandler, type ApiClient } from "../fixtures/api.ts";
import type { EventVersion } from "../fixtures/events.ts";
import type { Services } from "../../lib/platform/runtime/services.ts";
import { sampleRequests, sampleUrl, type SampleRequest } from "../fixtures/sample-requests.ts";
import { ciServices } from "../fixtures/services.ts";

const contractOf = (file: string): Contract => CONTRACTS[file as RouteFile];

describe("the route table and the contracts", () => {
  it("has one contract per route and one route per contract", () => {
    expect(new Set(ROUTES.map((r) => r.file))).toEqual(new Set(Object.keys(CONTRACTS)));
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
  let samples: Record<RouteFile, SampleRequest>;
  beforeAll(async () => {
    services = ciServices();
    client = apiClient(services, { version });
    samples = await sampleRequests();
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))("%s answers its success status with its contract's response", async (_name, route) => {
    const sample = samples[route.file as RouteFile];
    const reply = await client.send(route.method, await sampleUrl(route.path, sample, services), sample.body);
    expect(reply.status, reply.text.slice(0, 500)).toBe(contractOf(route.file).status ?? 200);
    // A1111's log_and_time middleware adds X-Process-Time to every response (a1111-api.md §1).
    expect(reply.headers["x-process-time"]).toMatch(/^\d+\.\d{4}$/);
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
