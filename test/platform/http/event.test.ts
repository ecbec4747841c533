/** Reading API Gateway v2 (HTTP API) and v1 (REST) events through one set of accessors. */
import { describe, expect, it } from "vitest";
import { eventBodyBytes, eventBodySize, eventMethod, eventPath, eventQuery, eventRequestId } from "../../../lib/platform/http/event.ts";
import { buildEventV1, buildEventV2 } from "../../fixtures/events.ts";

const parts = { method: "post", url: "/sdapi/v1/progress?skip_current_image=true", headers: { "Content-Type": "application/json" }, body: '{"a": "é"}' };

describe.each([
  ["v2", buildEventV2(parts)],
  ["v1", buildEventV1(parts)],
])("%s events", (_version, event) => {
  it("give method, path, query and request id", () => {
    expect(eventMethod(event)).toBe("POST");
    expect(eventPath(event)).toBe("/sdapi/v1/progress");
    expect(eventQuery(event)).toEqual({ skip_current_image: "true" });
    expect(eventRequestId(event)).toBe(event.requestContext.requestId);
  });

  it("give the body bytes and their UTF-8 size", () => {
    expect(eventBodyBytes(event)?.toString("utf8")).toBe('{"a": "é"}');
    expect(eventBodySize(event)).toBe(11);
  });
});

describe("base64-encoded bodies", () => {
  it.each([[1], [2], [3], [4], [100]])("a %i-byte binary body: decoded bytes and size agree", (length) => {
    const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 37) % 256));
    const event = buildEventV2({ method: "POST", url: "/x", headers: { "content-type": "application/octet-stream" }, body: bytes });
    expect(event.isBase64Encoded).toBe(true);
    expect(eventBodyBytes(event)).toEqual(bytes);
    expect(eventBodySize(event)).toBe(length);
  });

  it("REST events carry binary bodies as base64 too", () => {
    const event = buildEventV1({ method: "POST", url: "/x", headers: { "Content-Type": "image/png" }, body: Buffer.from([0x89, 0x50]) });
    expect(event.isBase64Encoded).toBe(true);
    expect(eventBodyBytes(event)).toEqual(Buffer.from([0x89, 0x50]));
  });

  it("no body is null bytes and size 0", () => {
    const event = buildEventV1({ method: "GET", url: "/x" });
    expect(eventBodyBytes(event)).toBeNull();
    expect(eventBodySize(event)).toBe(0);
  });
});
