/**
 * What the local server does before any handler runs, as API Gateway does for the deployed API: credentials first
 * for every path (an unauthenticated client sends no body and learns nothing about the routes), a bound on the
 * request bodies held at once, malformed paths answered as misses, and the connection limits applied.
 */
import type http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/platform/config.ts";
import { createServices } from "../../../lib/platform/runtime/services.ts";
import { createServer, DEFAULT_SERVER_LIMITS, listen } from "../../../lib/platform/server/server.ts";

const AUTH = "Basic " + Buffer.from("alice:secret").toString("base64");

async function start(env: Record<string, string>, limits = DEFAULT_SERVER_LIMITS) {
  const config = parseConfig({ CI: "true", SERENA_BACKEND: "none", SERENA_LOG_LEVEL: "silent", ...env });
  const server = createServer(createServices(config), limits);
  const { port } = await listen(server, "127.0.0.1", 0);
  return { server, base: `http://127.0.0.1:${port}`, port };
}

async function stop(server: http.Server) {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Sends raw bytes and returns what the server answered before the connection closed. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("close", () => resolve(answer));
    socket.on("error", () => resolve(answer));
    setTimeout(() => socket.destroy(), 2000);
  });
}

describe("with API auth on", () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => (ctx = await start({ SERENA_API_AUTH: "alice:secret" })));
  afterAll(() => stop(ctx.server));

  it.each(["/sdapi/v1/options", "/no/such/route", "/serena/v1/jobs/%E0%A4%A", "/sdapi/v1/txt2img"])("answers 401 for %s without credentials", async (path) => {
    const response = await fetch(ctx.base + path);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "HTTPException", detail: "Not authenticated" });
  });

  it("answers 401 before reading a body, and closes the connection", async () => {
    const answer = await raw(
      ctx.port,
      "POST /sdapi/v1/txt2img HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9000000\r\n\r\n{",
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer.toLowerCase()).toContain("connection: close");
  });

  it("tells a wrong method from a wrong path only to an authenticated client", async () => {
    expect((await fetch(ctx.base + "/sdapi/v1/txt2img", { method: "DELETE" })).status).toBe(401);
    expect((await fetch(ctx.base + "/sdapi/v1/txt2img", { method: "DELETE", headers: { authorization: AUTH } })).status).toBe(405);
    expect((await fetch(ctx.base + "/nothing", { headers: { authorization: AUTH } })).status).toBe(404);
  });
});

describe("paths that do not decode", () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => (ctx = await start({})));
  afterAll(() => stop(ctx.server));

  it("are a 404, like any path no route has, and the server goes on", async () => {
    const response = await fetch(ctx.base + "/serena/v1/jobs/%E0%A4%A");
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: "Not Found" });
    expect((await fetch(ctx.base + "/serena/v1/jobs/%25")).status).toBe(404);
    expect((await fetch(ctx.base + "/sdapi/v1/progress")).status).toBe(200);
  });
});

describe("request bodies held at once", () => {
  let ctx: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => (ctx = await start({}, { ...DEFAULT_SERVER_LIMITS, bodyBudgetBytes: 64 * 1024 })));
  afterAll(() => stop(ctx.server));

  it("are bounded: past the budget a request gets 429 with Retry-After, and the next one is served", async () => {
    // A client that declares a large body, sends part of it and stalls holds that part of the budget.
    const stalled = net.connect(ctx.port, "127.0.0.1");
    await new Promise((resolve) => stalled.once("connect", resolve));
    stalled.write(`POST /sdapi/v1/png-info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n${"a".repeat(60 * 1024)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answer = await raw(ctx.port, `POST /sdapi/v1/png-info HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n\r\n${"b".repeat(20000)}`);
    expect(answer).toMatch(/^HTTP\/1\.1 429/);
    expect(answer.toLowerCase()).toMatch(/retry-after: \d+/);
    stalled.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await fetch(ctx.base + "/sdapi/v1/png-info", { method: "POST", body: JSON.stringify({ image: "" }) });
    expect(after.status).toBe(422);
  });
});

describe("connection limits", () => {
  it("are applied to the Node server", async () => {
    const { server } = await start({}, { ...DEFAULT_SERVER_LIMITS, maxConnections: 7, headersTimeoutMs: 3000, requestTimeoutMs: 9000 });
    expect([server.maxConnections, server.headersTimeout, server.requestTimeout]).toEqual([7, 3000, 9000]);
    await stop(server);
  });
});
