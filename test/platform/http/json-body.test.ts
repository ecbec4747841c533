/**
 * Body parsing with FastAPI's rules (what A1111 runs on, docs/a1111-semantics.md §3.1): JSON by default and for the content
 * types curl and browsers use, other content types are "not a valid dict", and routes that take no body never
 * parse one.
 */
import { describe, expect, it } from "vitest";
import { apiClient, expectCleanError } from "../../fixtures/api.ts";
import { ciServices } from "../../fixtures/services.ts";

const client = apiClient(ciServices());
const body = JSON.stringify({ prompt: "a cat", seed: 1, width: 64, height: 64, send_images: false });

describe("content types", () => {
  it.each([
    ["application/json", 200],
    ["application/json; charset=utf-8", 200],
    ["application/vnd.api+json", 200],
    // curl -d sends JSON labelled as a form; text/plain avoids CORS preflights. Serena reads both as JSON.
    ["application/x-www-form-urlencoded", 200],
    ["text/plain", 200],
  ])("%s is read as JSON", async (contentType, status) => {
    expect((await client.post("/sdapi/v1/txt2img", body, { headers: { "content-type": contentType } })).status).toBe(status);
  });

  it("a body without a content type is read as JSON", async () => {
    const reply = await client.send("POST", "/sdapi/v1/txt2img", body, { headers: { "content-type": "" } });
    expect(reply.status).toBe(200);
  });

  it.each(["multipart/form-data; boundary=x", "image/png"])("%s is 'value is not a valid dict'", async (contentType) => {
    const reply = await client.post("/sdapi/v1/txt2img", body, { headers: { "content-type": contentType } });
    expectCleanError(reply, 422);
    expect(reply.json().detail).toEqual([{ loc: ["body"], msg: "value is not a valid dict", type: "type_error.dict" }]);
  });

  it.each(["v1", "v2"] as const)("reads header names in any case (%s events)", async (version) => {
    const reply = await client.post("/sdapi/v1/txt2img", body, { version, headers: { "Content-Type": "Application/JSON" } });
    expect(reply.status).toBe(200);
  });
});

describe("routes that take no body", () => {
  it.each([
    ["POST", "/sdapi/v1/interrupt", {}],
    ["POST", "/sdapi/v1/skip", null],
    ["POST", "/sdapi/v1/refresh-checkpoints", null],
  ])("%s %s ignores whatever body is sent, as FastAPI does", async (method, path, expected) => {
    const reply = await client.send(method, path, "not json at all");
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual(expected);
  });

  it("GET routes ignore a body", async () => {
    expect((await client.send("GET", "/sdapi/v1/samplers", "{")).status).toBe(200);
  });
});
