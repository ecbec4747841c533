/**
 * CORS, applied only when origins are configured (A1111 `--cors-allow-origins`, docs/a1111-semantics.md §1), on answers and
 * errors alike, and preflights answered before auth.
 */
import { describe, expect, it } from "vitest";
import { apiClient } from "../../fixtures/api.ts";
import { ciServices } from "../../fixtures/services.ts";

const ORIGIN = "https://app.example";
const cors = apiClient(ciServices({ SERENA_CORS_ALLOW_ORIGINS: `${ORIGIN}, https://other.example`, SERENA_API_AUTH: "u:p" }));
const auth = { authorization: `Basic ${Buffer.from("u:p").toString("base64")}` };

describe("with SERENA_CORS_ALLOW_ORIGINS", () => {
  it("allows a listed origin on a successful answer", async () => {
    const reply = await cors.get("/sdapi/v1/samplers", { headers: { origin: ORIGIN, ...auth } });
    expect(reply.status).toBe(200);
    expect(reply.headers["Access-Control-Allow-Origin"]).toBe(ORIGIN);
    expect(reply.headers.Vary).toContain("Origin");
  });

  it("adds the headers to error answers too (401, 422)", async () => {
    const unauthorized = await cors.get("/sdapi/v1/samplers", { headers: { origin: ORIGIN } });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers["Access-Control-Allow-Origin"]).toBe(ORIGIN);
    const invalid = await cors.post("/sdapi/v1/txt2img", { steps: "abc" }, { headers: { origin: ORIGIN, ...auth } });
    expect(invalid.status).toBe(422);
    expect(invalid.headers["Access-Control-Allow-Origin"]).toBe(ORIGIN);
  });

  it("does not allow an origin that is not listed", async () => {
    const reply = await cors.get("/sdapi/v1/samplers", { headers: { origin: "https://evil.example", ...auth } });
    expect(reply.headers["Access-Control-Allow-Origin"]).toBeUndefined();
  });

  it.each(["v2", "v1"] as const)("answers a preflight (%s) with 204 before auth, naming methods and headers", async (version) => {
    const reply = await cors.send("OPTIONS", "/sdapi/v1/txt2img", undefined, {
      version,
      headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers["Access-Control-Allow-Origin"]).toBe(ORIGIN);
    expect(reply.headers["Access-Control-Allow-Methods"]).toContain("POST");
    expect(reply.headers["Access-Control-Allow-Headers"]).toContain("authorization");
  });
});

describe("without SERENA_CORS_ALLOW_ORIGINS", () => {
  it("sends no CORS headers", async () => {
    const reply = await apiClient(ciServices()).get("/sdapi/v1/samplers", { headers: { origin: ORIGIN } });
    expect(Object.keys(reply.headers).filter((h) => h.toLowerCase().startsWith("access-control-"))).toEqual([]);
  });
});
