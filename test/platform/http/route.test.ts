/** lambdaHandler: one middy stack for every function, bound to the process's services or to explicit ones. */
import { afterEach, describe, expect, it, vi } from "vitest";
import * as z from "zod";
import { jsonResult, routeResult } from "../../../lib/a1111/routes/route.ts";
import { toHttpResult } from "../../../lib/platform/http/response.ts";
import { testRoute, toReply } from "../../fixtures/api.ts";
import { buildEventV1, buildEventV2, lambdaContext } from "../../fixtures/events.ts";
import { testServices } from "../../fixtures/services.ts";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("a route's input", () => {
  const echo = testRoute(
    { summary: "echo", body: z.object({ n: z.number() }), query: z.object({ q: z.string().default("none") }) },
    async (input) => ({ body: input.body, query: input.query, path: input.pathParameters, agent: input.headers["user-agent"] }),
  );

  it.each(["v2", "v1"] as const)("carries the validated body, query, path parameters and headers (%s)", async (version) => {
    const parts = {
      method: "POST",
      url: "/echo/7?q=yes",
      headers: { "User-Agent": "tests", "content-type": "application/json" },
      body: '{"n": 1, "extra": true}',
      pathParameters: { id: "7" },
    };
    const event = version === "v2" ? buildEventV2(parts) : buildEventV1(parts);
    const reply = toReply(await echo.withServices(testServices())(event, lambdaContext()));
    expect(reply.json()).toEqual({ body: { n: 1 }, query: { q: "yes" }, path: { id: "7" }, agent: "tests" });
  });

  it("reports query errors under 'query'", async () => {
    const strict = testRoute({ summary: "q", query: z.object({ n: z.coerce.number().int() }) }, async () => null);
    const reply = toReply(await strict.withServices(testServices())(buildEventV2({ method: "GET", url: "/q?n=x" }), lambdaContext()));
    expect(reply.status).toBe(422);
    expect(reply.json().detail[0].loc).toEqual(["query", "n"]);
  });
});

describe("the handler Lambda calls", () => {
  it("uses the process's services, configured from the environment on first use", async () => {
    vi.stubEnv("SERENA_API_AUTH", "env:user");
    const route = testRoute({ summary: "ping" }, async () => ({}));
    const reply = toReply(await route(buildEventV2({ method: "GET", url: "/ping" }), lambdaContext()));
    expect(reply.status).toBe(401);
  });
});

describe("responses", () => {
  it("plain values are JSON with status 200, undefined is null", () => {
    expect(toHttpResult({ a: 1 })).toEqual({ statusCode: 200, headers: { "content-type": "application/json" }, body: '{"a":1}' });
    expect(toHttpResult(undefined).body).toBe("null");
  });

  it("raw responses keep their status, headers and body", () => {
    expect(toHttpResult(routeResult(202, "queued", { "content-type": "text/plain" }))).toEqual({
      statusCode: 202,
      headers: { "content-type": "text/plain" },
      body: "queued",
    });
    expect(toHttpResult(jsonResult(201, { id: "x" }, { location: "/jobs/x" }))).toEqual({
      statusCode: 201,
      headers: { "content-type": "application/json", location: "/jobs/x" },
      body: '{"id":"x"}',
    });
  });
});
