/** Bodies over SERENA_MAX_BODY_BYTES are refused with 413 before parsing, on every transport encoding. */
import { describe, expect, it } from "vitest";
import { HTTPErrorBody } from "../../lib/a1111/schemas/errors.ts";
import { apiClient, expectCleanError, loadRouteHandler, toReply } from "../fixtures/api.ts";
import { buildEventV1, buildEventV2, lambdaContext } from "../fixtures/events.ts";
import { ciServices } from "../fixtures/services.ts";

const LIMIT = 2048;
const services = ciServices({ SERENA_MAX_BODY_BYTES: String(LIMIT) });
const client = apiClient(services);

/** A JSON body of exactly `size` bytes. */
const bodyOfSize = (size: number) => {
  const prefix = '{"prompt": "';
  const suffix = '", "send_images": false, "width": 64, "height": 64}';
  return prefix + "a".repeat(size - prefix.length - suffix.length) + suffix;
};

describe("the body size limit", () => {
  it("refuses one byte over the limit with 413 in A1111's error shape", async () => {
    const reply = await client.post("/sdapi/v1/txt2img", bodyOfSize(LIMIT + 1));
    expectCleanError(reply, 413);
    const body = HTTPErrorBody.parse(reply.json());
    expect(body.error).toBe("HTTPException");
    expect(body.detail).toBe(`Request body is ${LIMIT + 1} bytes; the limit is ${LIMIT} bytes`);
  });

  it("accepts a body of exactly the limit", async () => {
    expect((await client.post("/sdapi/v1/txt2img", bodyOfSize(LIMIT))).status).toBe(200);
  });

  it("counts UTF-8 bytes, not characters", async () => {
    const body = bodyOfSize(LIMIT).replace(/a{10}/, "é".repeat(10));
    expectCleanError(await client.post("/sdapi/v1/txt2img", body), 413);
  });

  it("counts decoded bytes of a base64-encoded body (API Gateway binary transport)", async () => {
    const handler = (await loadRouteHandler("txt2img")).withServices(services);
    for (const [size, status] of [[LIMIT, 200], [LIMIT + 1, 413]] as const) {
      const event = buildEventV2({ method: "POST", url: "/sdapi/v1/txt2img", headers: { "content-type": "application/json" } });
      event.body = Buffer.from(bodyOfSize(size)).toString("base64");
      event.isBase64Encoded = true;
      expect(toReply(await handler(event, lambdaContext())).status).toBe(status);
    }
  });

  it("applies to REST (v1) events too", async () => {
    const handler = (await loadRouteHandler("png-info")).withServices(services);
    const event = buildEventV1({ method: "POST", url: "/sdapi/v1/png-info", headers: { "Content-Type": "application/json" }, body: bodyOfSize(LIMIT + 100) });
    expectCleanError(toReply(await handler(event, lambdaContext())), 413);
  });

  it("applies to routes without a body schema", async () => {
    expectCleanError(await client.post("/sdapi/v1/interrupt", "x".repeat(LIMIT + 1)), 413);
  });
});
