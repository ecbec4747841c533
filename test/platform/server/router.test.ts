/** Route lookup in the shared route table: the local server and the tests find handlers the same way. */
import { describe, expect, it } from "vitest";
import { routeKey, ROUTES, type RouteDefinition } from "../../../lib/a1111/routes/table.ts";
import { findRoute, loadHandler } from "../../../lib/platform/server/router.ts";

const route = (method: RouteDefinition["method"], path: string): RouteDefinition => ({ method, path, file: "x", summary: "x", response: null, timeout: 1, memory: 128 });

describe("findRoute", () => {
  it("finds every route in ROUTES by method and path", () => {
    for (const r of ROUTES) {
      const concrete = r.path.replace(/\{(\w+)\}/g, "some-$1");
      const params = Object.fromEntries([...r.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], `some-${m[1]}`]));
      expect(findRoute(r.method, concrete)).toEqual({ route: r, pathParameters: params });
    }
  });

  it("tells a missing path from a wrong method", () => {
    expect(findRoute("GET", "/sdapi/v1/nothing")).toBe("not-found");
    expect(findRoute("GET", "/sdapi/v1/txt2img")).toBe("method-not-allowed");
    expect(findRoute("POST", "/sdapi/v1/txt2img/")).toBe("not-found");
  });

  it("ANY takes the first route with the path", () => {
    expect(findRoute("ANY", "/sdapi/v1/options")).toMatchObject({ route: { method: "GET", file: "options-get" } });
  });

  it("fills path parameters from {name} segments, URL-decoded", () => {
    const routes = [route("GET", "/jobs/{id}"), route("DELETE", "/jobs/{id}")];
    expect(findRoute("DELETE", "/jobs/a%20b", routes)).toEqual({ route: routes[1], pathParameters: { id: "a b" } });
    expect(findRoute("GET", "/jobs", routes)).toBe("not-found");
  });
});

describe("loadHandler", () => {
  it("loads each route's handler once", async () => {
    const samplers = ROUTES.find((r) => r.file === "samplers")!;
    const first = loadHandler(samplers);
    expect(loadHandler(samplers)).toBe(first);
    expect(typeof (await first)).toBe("function");
  });
});

describe("routeKey", () => {
  it("is API Gateway's 'METHOD /path'", () => {
    expect(routeKey({ method: "POST", path: "/sdapi/v1/txt2img" })).toBe("POST /sdapi/v1/txt2img");
  });
});
