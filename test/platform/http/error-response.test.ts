/**
 * Failures become responses in one place (lib/platform/http/middlewares/error-response.ts): typed errors in A1111's
 * `{error, detail, body, errors}` shape with their status (docs/a1111-semantics.md §3.1), anything else a 500 that names the
 * request id and never the message or the stack; every answer carries X-Process-Time and the request id.
 */
import { describe, expect, it, vi } from "vitest";
import { ApiError, conflict, gatewayTimeout, notFound } from "../../../lib/a1111/errors.ts";
import { HTTPErrorBody } from "../../../lib/a1111/schemas/errors.ts";
import { expectCleanError, testRoute, toReply } from "../../fixtures/api.ts";
import { buildEventV1, buildEventV2, lambdaContext } from "../../fixtures/events.ts";
import { testServices } from "../../fixtures/services.ts";

function failingRoute(error: unknown) {
  return testRoute({ summary: "fails" }, async () => {
    throw error;
  });
}

async function invoke(error: unknown, services = testServices()) {
  const event = buildEventV2({ method: "GET", url: "/fails" });
  const reply = toReply(await failingRoute(error).withServices(services)(event, lambdaContext()));
  return { reply, requestId: event.requestContext.requestId };
}

describe("unexpected errors", () => {
  it("answer 500 naming the request id, with neither the message nor a stack trace", async () => {
    const error = new TypeError("Cannot read properties of undefined (reading 'secret') at /srv/app/lib/x.ts:1:2");
    const { reply, requestId } = await invoke(error);
    expectCleanError(reply, 500);
    expect(HTTPErrorBody.parse(reply.json())).toEqual({
      error: "InternalServerError",
      detail: `internal error; the server log has the details under request id ${requestId}`,
      body: "",
      errors: "",
    });
    expect(reply.text).not.toContain("secret");
    expect(reply.headers["x-request-id"]).toBe(requestId);
  });

  it("are logged with the request id and the error", async () => {
    const services = testServices();
    const logged = vi.spyOn(services.logger, "error");
    const error = new Error("engine exploded");
    const { requestId } = await invoke(error, services);
    expect(logged).toHaveBeenCalledWith("unhandled error", { requestId, error });
    expect(logged).toHaveBeenCalledWith("request failed", expect.objectContaining({ requestId, status: 500, error: "engine exploded" }));
  });

  it("thrown non-Error values are handled the same way", async () => {
    expectCleanError((await invoke("a string")).reply, 500);
  });
});

describe("the stack-trace check itself", () => {
  it("catches a V8 stack in a JSON body", () => {
    const stack = new Error("boom").stack!;
    const leaky = toReply({ statusCode: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ detail: stack }) });
    expect(() => expectCleanError(leaky, 500)).toThrow();
    const frame = toReply({ statusCode: 500, headers: { "content-type": "application/json" }, body: '{"detail": "at file:///srv/x.ts:3:9"}' });
    expect(() => expectCleanError(frame, 500)).toThrow();
  });
});

describe("typed errors", () => {
  it.each([
    [notFound("Init image not found"), 404, "HTTPException"],
    [conflict("busy"), 409, "HTTPException"],
    [gatewayTimeout("took too long"), 504, "GatewayTimeout"],
    [new ApiError(400, "HTTPException", "There was an error parsing the body"), 400, "HTTPException"],
  ])("%s keeps its status and name, with errors ''", async (error, status, name) => {
    const { reply } = await invoke(error);
    expect(reply.status).toBe(status);
    expect(reply.json()).toEqual({ error: name, detail: error.message, body: "", errors: "" });
  });

  it("are not logged as unhandled", async () => {
    const services = testServices();
    const logged = vi.spyOn(services.logger, "error");
    await invoke(notFound("x"), services);
    expect(logged).not.toHaveBeenCalled();
  });
});

describe("request ids and timing", () => {
  it("use API Gateway's request id (v1 and v2) and add X-Process-Time", async () => {
    const route = testRoute({ summary: "ok" }, async () => ({ ok: true }));
    for (const event of [buildEventV2({ method: "GET", url: "/ok" }), buildEventV1({ method: "GET", url: "/ok" })]) {
      const reply = toReply(await route.withServices(testServices())(event, lambdaContext()));
      expect(reply.headers["x-request-id"]).toBe(event.requestContext.requestId);
      expect(reply.headers["x-process-time"]).toMatch(/^\d+\.\d{4}$/);
    }
  });

  it("fall back to the Lambda request id when the event has none", async () => {
    const route = testRoute({ summary: "ok" }, async () => null);
    const event = buildEventV2({ method: "GET", url: "/ok" });
    const context = lambdaContext();
    (event.requestContext as { requestId?: string }).requestId = undefined;
    expect(toReply(await route.withServices(testServices())(event, context)).headers["x-request-id"]).toBe(context.awsRequestId);
  });

  it("log one info line per request with method, path, status and backend", async () => {
    const services = testServices();
    const info = vi.spyOn(services.logger, "info");
    const route = testRoute({ summary: "ok" }, async () => null);
    await route.withServices(services)(buildEventV1({ method: "GET", url: "/ok?x=1" }), lambdaContext());
    expect(info).toHaveBeenCalledWith("request", expect.objectContaining({ method: "GET", path: "/ok", status: 200, backend: "none" }));
  });
});
