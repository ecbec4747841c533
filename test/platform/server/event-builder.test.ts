/** v2 events from plain request parts, as API Gateway HTTP APIs build them (payload format 2.0). */
import { describe, expect, it } from "vitest";
import { buildEventV2 } from "../../../lib/platform/server/event-builder.ts";

describe("buildEventV2", () => {
  it("lower-cases headers, comma-joins repeats and splits cookies out", () => {
    const event = buildEventV2({
      method: "get",
      url: "/x",
      headers: { "X-Thing": ["a", "b"], Cookie: "a=1; b=2", Skip: undefined },
    });
    expect(event.headers).toEqual({ "x-thing": "a,b" });
    expect(event.cookies).toEqual(["a=1", "b=2"]);
    expect(event.requestContext.http.method).toBe("GET");
    expect(event.routeKey).toBe("GET /x");
  });

  it("comma-joins repeated query keys and keeps the raw query string", () => {
    const event = buildEventV2({ method: "GET", url: "/x?a=1&a=2&b=%20" });
    expect(event.rawQueryString).toBe("a=1&a=2&b=%20");
    expect(event.queryStringParameters).toEqual({ a: "1,2", b: " " });
    expect(buildEventV2({ method: "GET", url: "/x" }).queryStringParameters).toBeUndefined();
  });

  it("sends textual bodies as text and binary ones as base64", () => {
    const json = buildEventV2({ method: "POST", url: "/x", headers: { "content-type": "application/json" }, body: '{"a":1}' });
    expect([json.body, json.isBase64Encoded]).toEqual(['{"a":1}', false]);
    const png = buildEventV2({ method: "POST", url: "/x", headers: { "content-type": "image/png" }, body: Buffer.from([1, 2, 3]) });
    expect([png.body, png.isBase64Encoded]).toEqual(["AQID", true]);
    const empty = buildEventV2({ method: "POST", url: "/x", body: Buffer.alloc(0) });
    expect([empty.body, empty.isBase64Encoded]).toEqual([undefined, false]);
  });

  it("gives every event its own request id", () => {
    const a = buildEventV2({ method: "GET", url: "/x" });
    const b = buildEventV2({ method: "GET", url: "/x" });
    expect(a.requestContext.requestId).not.toBe(b.requestContext.requestId);
  });
});
