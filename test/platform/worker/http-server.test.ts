import type http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTinyModel } from "../../../lib/engine/tiny-model/index.ts";
import type { InferenceBackend } from "../../../lib/a1111/backend.ts";
import { createLocalBackend } from "../../../lib/platform/inference/local/local-backend.ts";
import { createLogger } from "../../../lib/platform/runtime/logger.ts";
import { listen } from "../../../lib/platform/server/server.ts";
import { createWorkerServer } from "../../../lib/platform/worker/http-server.ts";

const TOKEN = "test-worker-token";
const BODY_LIMIT = 200_000;
const auth = { authorization: `Bearer ${TOKEN}` };
/** About 2 s on a 2-core VM with the tiny model (steps at the schema's maximum): long enough to act while it runs. */
const BIG_REQUEST = { type: "txt2img", request: { prompt: "a lighthouse", seed: 3, width: 512, height: 512, steps: 150, batch_size: 4 } };

let backend: InferenceBackend;
let server: http.Server;
let url: string;
/** Resolvers for "the backend has been handed a generation". */
const generationStarts: (() => void)[] = [];

beforeAll(async () => {
  const cacheDir = path.join(os.tmpdir(), "serena-test-cache");
  backend = createLocalBackend({ modelDir: await ensureTinyModel(cacheDir, "sd1-diffusers"), modelsRoot: null, cacheDir, ortThreads: 0 });
  const observed: InferenceBackend = { ...backend, generate: (job, hooks) => (generationStarts.shift()?.(), backend.generate(job, hooks)) };
  server = createWorkerServer({ backend: observed, storage: null }, { token: TOKEN, maxBodyBytes: BODY_LIMIT, logger: createLogger({ logLevel: "silent" }) });
  const { port } = await listen(server, "127.0.0.1", 0);
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await backend.close?.();
});

const nextGenerationStart = () => new Promise<void>((resolve) => generationStarts.push(resolve));

const invoke = (body: string, headers: Record<string, string> = auth) =>
  fetch(`${url}/invocations`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

describe("GET /ping", () => {
  it("answers 200 {} without credentials (SageMaker's health check)", async () => {
    const res = await fetch(`${url}/ping`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
  });
});

describe("bearer authentication on /invocations", () => {
  it.each([
    ["no Authorization header", {}],
    ["a wrong token", { authorization: "Bearer not-the-token" }],
    ["the token without the Bearer scheme", { authorization: TOKEN }],
  ])("refuses %s with a typed 401", async (_, headers) => {
    const res = await invoke(JSON.stringify({ type: "models" }), headers);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect(await res.json()).toEqual({
      ok: false,
      error: { type: "api", status: 401, errorName: "HTTPException", message: "Missing or wrong bearer token" },
    });
  });

  it("is off when no token is configured (loopback, SageMaker)", async () => {
    const open = createWorkerServer({ backend, storage: null }, { token: null, maxBodyBytes: BODY_LIMIT, logger: createLogger({ logLevel: "silent" }) });
    const { port } = await listen(open, "127.0.0.1", 0);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/invocations`, { method: "POST", body: JSON.stringify({ type: "models" }) });
      expect(res.status).toBe(200);
    } finally {
      open.closeAllConnections();
      await new Promise((resolve) => open.close(resolve));
    }
  });

  it("accepts the configured token", async () => {
    const res = await invoke(JSON.stringify({ type: "models" }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; models: { model_name: string }[] };
    expect(body.models.map((m) => m.model_name)).toEqual(["sd1-diffusers"]);
  });
});

describe("answers carry the status of their outcome", () => {
  it("a generation is 200 with base64 images, info and the echoed parameters", async () => {
    const res = await invoke(JSON.stringify({ type: "txt2img", request: { prompt: "a cat", seed: 5, steps: 3, width: 64, height: 64 } }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { images: { base64: string }[]; info: { all_seeds: number[] }; parameters: Record<string, unknown> };
    expect(body.images).toHaveLength(1);
    // PNG signature (PNG spec §5.2).
    expect(Buffer.from(body.images[0]!.base64, "base64").subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    expect(body.info.all_seeds).toEqual([5]);
    // A1111 echoes the request after defaults (docs/a1111-semantics.md §2.4): batch_size defaults to 1.
    expect(body.parameters).toMatchObject({ prompt: "a cat", seed: 5, batch_size: 1 });
  });

  it("an invalid A1111 body is 422 with FastAPI's field list", async () => {
    const res = await invoke(JSON.stringify({ type: "txt2img", request: { steps: "many" } }));
    expect(res.status).toBe(422);
    // pydantic v1's message for a non-integer (docs/a1111-semantics.md §3.1).
    expect(await res.json()).toEqual({
      ok: false,
      error: { type: "validation", issues: [{ loc: ["body", "steps"], msg: "value is not a valid integer", type: "type_error.integer" }] },
    });
  });

  it("a body that is not JSON is 422 value_error.jsondecode; no body is 'field required'", async () => {
    const malformed = (await (await invoke("{")).json()) as { error: { issues: { type: string }[] } };
    expect(malformed.error.issues[0]!.type).toBe("value_error.jsondecode");
    const empty = await invoke("");
    expect(empty.status).toBe(422);
    // FastAPI's answer to a missing body (docs/a1111-semantics.md §3.1).
    expect(((await empty.json()) as { error: { issues: unknown[] } }).error.issues).toEqual([
      { loc: ["body"], msg: "field required", type: "value_error.missing" },
    ]);
  });

  it("a body over SERENA_MAX_BODY_BYTES is 413", async () => {
    const res = await invoke(JSON.stringify({ type: "txt2img", request: { prompt: "x".repeat(BODY_LIMIT) } }));
    expect(res.status).toBe(413);
  });

  it("unknown paths are 404 and other methods 405", async () => {
    expect((await fetch(`${url}/generate`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${url}/invocations`)).status).toBe(405);
  });
});

describe("while a generation runs", () => {
  it("/ping still answers at once: the engine runs in a worker thread", async () => {
    const started = nextGenerationStart();
    const generation = invoke(JSON.stringify(BIG_REQUEST)).then(() => performance.now());
    await started;
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = performance.now();
    expect((await fetch(`${url}/ping`)).status).toBe(200);
    const pinged = performance.now();
    expect(pinged - before).toBeLessThan(1000);
    expect(await generation).toBeGreaterThan(pinged);
  });
});
