/**
 * The local server (`npm start`) on a real socket: Node HTTP requests become v2 events for the same handlers Lambda
 * runs. It answers 404/405 like FastAPI, refuses oversized bodies with 413 while streaming, and keeps serving.
 * The server binds every handler to the services it is given.
 */
import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/platform/config.ts";
import { createServices } from "../../../lib/platform/runtime/services.ts";
import { readPngText } from "../../../lib/a1111/images/png-text.ts";
import { createServer, listen } from "../../../lib/platform/server/server.ts";

const ORIGIN = "https://app.example";
let server: http.Server;
let base: string;

beforeAll(async () => {
  const config = parseConfig({ CI: "true", SERENA_BACKEND: "none", SERENA_CORS_ALLOW_ORIGINS: ORIGIN, SERENA_LOG_LEVEL: "silent" });
  server = createServer(createServices(config));
  const { port } = await listen(server, "127.0.0.1", 0);
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, body: string | Uint8Array, headers: Record<string, string> = { "content-type": "application/json" }) =>
  fetch(base + path, { method: "POST", body, headers });

describe("generation over HTTP", () => {
  it("txt2img through the CI fake", async () => {
    const response = await post("/sdapi/v1/txt2img", JSON.stringify({ prompt: "a cat", seed: 7, batch_size: 2, width: 64, height: 64 }));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-serena-fake-inference")).toMatch(/^true/);
    expect(response.headers.get("x-process-time")).toMatch(/^\d+\.\d{4}$/);
    const body = (await response.json()) as { images: string[]; info: string };
    expect(JSON.parse(body.info).all_seeds).toEqual([7, 8]);
    expect(readPngText(Buffer.from(body.images[1]!, "base64")).parameters).toContain("Seed: 8,");
  });

  it("curl-style form-labelled JSON and query strings arrive intact", async () => {
    const form = await post("/sdapi/v1/png-info", JSON.stringify({ image: "nope" }), { "content-type": "application/x-www-form-urlencoded" });
    expect(form.status).toBe(422);
    expect(((await form.json()) as { detail: Array<{ loc: unknown[] }> }).detail[0]!.loc).toEqual(["body", "image"]);
    const query = await fetch(`${base}/sdapi/v1/progress?skip_current_image=maybe`);
    expect(query.status).toBe(422);
  });
});

describe("routing", () => {
  it("an unknown path is 404 {detail: 'Not Found'} (FastAPI's answer)", async () => {
    const response = await fetch(`${base}/sdapi/v1/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: "Not Found" });
  });

  it("a known path with another method is 405 {detail: 'Method Not Allowed'}", async () => {
    const response = await fetch(`${base}/sdapi/v1/txt2img`);
    expect(response.status).toBe(405);
    expect(await response.json()).toEqual({ detail: "Method Not Allowed" });
  });

  it("answers a CORS preflight through the route's own CORS middleware", async () => {
    const response = await fetch(`${base}/sdapi/v1/txt2img`, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("serves the docs page as HTML", async () => {
    const response = await fetch(`${base}/docs`);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    // Swagger UI renders the routes in the browser (test/api/docs-page.test.ts).
    expect(await response.text()).toContain('<script src="docs/assets/swagger-ui-bundle.js');
  });
});

describe("a 20 MB body", () => {
  it("is refused with 413 in A1111's shape, and the server keeps answering", async () => {
    const big = new Uint8Array(20 * 1024 * 1024).fill(0x61);
    const response = await post("/sdapi/v1/txt2img", big);
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: string; detail: string; body: string; errors: string };
    expect(body).toEqual({
      error: "HTTPException",
      detail: `Request body is ${big.length} bytes; the limit is ${10 * 1024 * 1024} bytes`,
      body: "",
      errors: "",
    });
    const after = await fetch(`${base}/sdapi/v1/samplers`);
    expect(after.status).toBe(200);
    const again = await post("/sdapi/v1/txt2img", JSON.stringify({ seed: 1, width: 64, height: 64, send_images: false }));
    expect(again.status).toBe(200);
  });
});
