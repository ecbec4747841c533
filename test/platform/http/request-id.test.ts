/**
 * The request id (lib/platform/http/request-id.ts): a client's acceptable `x-request-id` is kept, anything else is
 * replaced, an absent one is API Gateway's (or a UUID); every answer carries it, the middy stack's and the local
 * server's own refusals alike; the remote backends and async jobs carry it on.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { notFound } from "../../../lib/a1111/errors.ts";
import { JobCreated, JobView } from "../../../lib/a1111/schemas/jobs.ts";
import { parseConfig } from "../../../lib/platform/config.ts";
import { acceptRequestId, currentRequestId, withRequestId } from "../../../lib/platform/http/request-id.ts";
import { createHttpBackend } from "../../../lib/platform/inference/http-backend.ts";
import { createLambdaBackend } from "../../../lib/platform/inference/lambda-backend.ts";
import { parseJobInput } from "../../../lib/platform/jobs/job-state.ts";
import { createServer, listen } from "../../../lib/platform/server/server.ts";
import { apiClient, testRoute, toReply } from "../../fixtures/api.ts";
import { txt2imgJob } from "../../fixtures/engine.ts";
import { buildEventV1, buildEventV2, lambdaContext } from "../../fixtures/events.ts";
import { startLambdaInvokeServer } from "../../fixtures/lambda-invoke-server.ts";
import { ciServices, testServices } from "../../fixtures/services.ts";
import { captureLogs, type LogCapture } from "../log-capture.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CLIENT_ID = "client-7f3a:retry=2";

describe("acceptRequestId", () => {
  it("keeps printable ASCII up to 128 characters, inner spaces included", () => {
    for (const id of ["abc-123", "req 42", "a".repeat(128), "!~#$%&'*+.^_`|", "0"]) expect(acceptRequestId(id)).toBe(id);
  });

  it("refuses the empty string, outer spaces, control characters, non-ASCII, more than 128 characters and non-strings", () => {
    for (const id of ["", " lead", "trail ", "tab\there", "new\nline", "nul\0", "del\x7f", "café", "日本", "a".repeat(129), 42, null, undefined]) {
      expect(acceptRequestId(id)).toBeNull();
    }
  });
});

/** A route that answers with the request id in scope while it runs. */
const scopeRoute = testRoute({ summary: "scope" }, async () => ({ inScope: currentRequestId() ?? null }));
const failing = testRoute({ summary: "fails" }, async () => {
  throw notFound("no such thing");
});

describe("the HTTP stack", () => {
  it("keeps a client's id, answers with it and runs the route within it", async () => {
    const event = buildEventV2({ method: "GET", url: "/scope", headers: { "x-request-id": CLIENT_ID } });
    const reply = toReply(await scopeRoute.withServices(testServices())(event, lambdaContext()));
    expect(reply.headers["x-request-id"]).toBe(CLIENT_ID);
    expect(reply.json()).toEqual({ inScope: CLIENT_ID });
  });

  it("reads the header whatever its case (REST v1 events keep the client's)", async () => {
    const event = buildEventV1({ method: "GET", url: "/scope", headers: { "X-Request-ID": CLIENT_ID } });
    expect(toReply(await scopeRoute.withServices(testServices())(event, lambdaContext())).headers["x-request-id"]).toBe(CLIENT_ID);
  });

  it("replaces a malformed id with API Gateway's request id", async () => {
    for (const bad of ["a".repeat(129), "café", "two\u2028lines"]) {
      const event = buildEventV2({ method: "GET", url: "/scope", headers: { "x-request-id": bad } });
      const reply = toReply(await scopeRoute.withServices(testServices())(event, lambdaContext()));
      expect(reply.headers["x-request-id"]).toBe(event.requestContext.requestId);
      expect(reply.json()).toEqual({ inScope: event.requestContext.requestId });
    }
  });

  it("without a header uses API Gateway's request id, else the invocation's, else a new UUID", async () => {
    const event = buildEventV2({ method: "GET", url: "/scope" });
    expect(toReply(await scopeRoute.withServices(testServices())(event, lambdaContext())).headers["x-request-id"]).toBe(event.requestContext.requestId);
    const bare = buildEventV2({ method: "GET", url: "/scope" });
    (bare.requestContext as { requestId?: string }).requestId = undefined;
    const context = { ...lambdaContext(), awsRequestId: "" };
    const id = toReply(await scopeRoute.withServices(testServices())(bare, context)).headers["x-request-id"];
    expect(id).toMatch(UUID);
  });

  it("is on error answers too: a route's 404, a 422, a 401", async () => {
    const headers = { "x-request-id": CLIENT_ID };
    const notThere = toReply(await failing.withServices(testServices())(buildEventV2({ method: "GET", url: "/fails", headers }), lambdaContext()));
    expect([notThere.status, notThere.headers["x-request-id"]]).toEqual([404, CLIENT_ID]);
    const invalid = await apiClient(ciServices()).post("/sdapi/v1/txt2img", { steps: "many" }, { headers });
    expect([invalid.status, invalid.headers["x-request-id"]]).toEqual([422, CLIENT_ID]);
    const refused = await apiClient(testServices({ SERENA_API_AUTH: "u:p" })).get("/sdapi/v1/samplers", { headers });
    expect([refused.status, refused.headers["x-request-id"]]).toEqual([401, CLIENT_ID]);
  });

  it("is on a CORS preflight, which middy answers before any after hook runs", async () => {
    const cors = apiClient(testServices({ SERENA_CORS_ALLOW_ORIGINS: "https://app.example" }));
    const reply = await cors.send("OPTIONS", "/sdapi/v1/txt2img", undefined, {
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "x-request-id": CLIENT_ID },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers["x-request-id"]).toBe(CLIENT_ID);
  });
});

describe("the local server's own answers", () => {
  let base: string;
  let server: http.Server;
  let logs: LogCapture;
  beforeAll(async () => {
    server = createServer(testServices({ SERENA_API_AUTH: "u:p", SERENA_MAX_BODY_BYTES: "64", SERENA_LOG_LEVEL: "info" }));
    const { port } = await listen(server, "127.0.0.1", 0);
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  afterEach(() => logs?.restore());

  const auth = { authorization: `Basic ${Buffer.from("u:p").toString("base64")}` };

  it("401, 404, 405 and 413 carry the client's id and are logged with their status and reason", async () => {
    logs = captureLogs();
    const cases = [
      { status: 401, path: "/sdapi/v1/samplers", init: {}, reason: "Not authenticated" },
      { status: 404, path: "/no/such/route", init: { headers: auth }, reason: "no such route" },
      { status: 405, path: "/sdapi/v1/samplers", init: { method: "DELETE", headers: auth }, reason: "method not allowed" },
      { status: 413, path: "/sdapi/v1/txt2img", init: { method: "POST", headers: auth, body: "x".repeat(100) }, reason: "Request body is 100 bytes" },
    ];
    for (const [i, c] of cases.entries()) {
      const id = `${CLIENT_ID}-${i}`;
      const init = c.init as RequestInit & { headers?: Record<string, string> };
      const res = await fetch(`${base}${c.path}`, { ...init, headers: { ...init.headers, "x-request-id": id } });
      expect(res.status).toBe(c.status);
      expect(res.headers.get("x-request-id")).toBe(id);
      const [line] = logs.find("request refused").filter((l) => l.requestId === id);
      expect(line).toMatchObject({ level: "WARN", status: c.status, path: c.path });
      expect(String(line!.reason)).toContain(c.reason);
    }
  });

  it("gives a refused request without an id a new one", async () => {
    const res = await fetch(`${base}/no/such/route`, { headers: { "x-request-id": "é".repeat(3) } });
    expect(res.headers.get("x-request-id")).toMatch(UUID);
  });
});

describe("the remote backends", () => {
  it("http: the id goes in the worker request's body and in x-request-id", async () => {
    const seen: { header: string | undefined; body: { requestId?: string } }[] = [];
    const worker = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
      seen.push({ header: req.headers["x-request-id"] as string | undefined, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: false, error: { type: "api", status: 503, errorName: "BackendUnavailable", message: "busy" } }));
    });
    await new Promise<void>((resolve) => worker.listen(0, "127.0.0.1", resolve));
    try {
      const config = parseConfig({ SERENA_WORKER_URL: `http://127.0.0.1:${(worker.address() as AddressInfo).port}` });
      const backend = createHttpBackend(config.worker, { inlineLimitBytes: 1_000_000 });
      await expect(withRequestId(CLIENT_ID, () => backend.generate(txt2imgJob({ prompt: "a cat", steps: 1 })))).rejects.toThrow("busy");
      await expect(withRequestId("list-1", () => backend.listModels())).rejects.toThrow("busy");
      await expect(backend.listModels()).rejects.toThrow("busy");
      expect(seen.map((s) => [s.header, s.body.requestId])).toEqual([
        [CLIENT_ID, CLIENT_ID],
        ["list-1", "list-1"],
        [undefined, undefined],
      ]);
    } finally {
      await new Promise((resolve) => worker.close(resolve));
    }
  });

  it("lambda: the id goes in the Invoke payload", async () => {
    const events: { requestId?: string }[] = [];
    const lambda = await startLambdaInvokeServer({
      worker: async (event) => {
        events.push(event as { requestId?: string });
        return { ok: false, error: { type: "api", status: 503, errorName: "BackendUnavailable", message: "busy" } };
      },
    });
    try {
      const config = parseConfig({ SERENA_WORKER_FUNCTION: "worker", SERENA_LAMBDA_ENDPOINT: lambda.url });
      const backend = createLambdaBackend(config.worker, {
        region: "us-east-1",
        inlineLimitBytes: 1_000_000,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      await expect(withRequestId(CLIENT_ID, () => backend.generate(txt2imgJob({ prompt: "a cat", steps: 1 })))).rejects.toThrow("busy");
      expect(events.map((e) => e.requestId)).toEqual([CLIENT_ID]);
      await backend.close?.();
    } finally {
      await lambda.close();
    }
  });
});

describe("async jobs", () => {
  let logs: LogCapture | undefined;
  afterEach(() => logs?.restore());

  it("keep the id of the request that submitted them; the runner logs under it", async () => {
    const client = apiClient(ciServices({ SERENA_LOG_LEVEL: "info" }));
    logs = captureLogs();
    const reply = await client.post("/serena/v1/jobs", { type: "txt2img", request: { prompt: "a cat", steps: 2, width: 64, height: 64 } }, {
      headers: { "x-request-id": CLIENT_ID },
    });
    expect(reply.headers["x-request-id"]).toBe(CLIENT_ID);
    const { id } = JobCreated.parse(reply.json());
    for (let i = 0; i < 200 && logs.find("job finished").length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const job = JobView.parse((await client.get(`/serena/v1/jobs/${id}`)).json());
    expect(job.status).toBe("succeeded");
    const [started] = logs.find("job started");
    const [finished] = logs.find("job finished");
    expect(started).toMatchObject({ requestId: CLIENT_ID, jobId: id, type: "txt2img" });
    expect(finished).toMatchObject({ requestId: CLIENT_ID, jobId: id, status: "succeeded" });
    expect(typeof finished!.ms).toBe("number");
  });

  it("store it with the input, and a stored id that is not acceptable is dropped", () => {
    const job = { type: "txt2img", request: { prompt: "a cat" }, options: {} };
    expect(parseJobInput({ job, webhook: null, requestId: CLIENT_ID }).requestId).toBe(CLIENT_ID);
    expect(parseJobInput({ job, webhook: null, requestId: "bad\nid" }).requestId).toBeUndefined();
    expect(parseJobInput({ job, webhook: null }).requestId).toBeUndefined();
  });
});
