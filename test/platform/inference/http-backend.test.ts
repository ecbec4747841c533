import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/platform/config.ts";
import { ApiError, RequestValidationError } from "../../../lib/a1111/errors.ts";
import type { InferenceBackend } from "../../../lib/a1111/backend.ts";
import { createHttpBackend } from "../../../lib/platform/inference/http-backend.ts";
import { txt2imgJob } from "../../fixtures/engine.ts";
import { killWorker, startWorkerProcess, WORKER_TOKEN, type WorkerProcess } from "../worker/worker-process.ts";
import { expectPngs, withBody } from "./generation-checks.ts";

/** Long enough to be caught mid-way: about 2 s on a 2-core VM with the tiny model, steps at the schema's maximum. */
const BIG_JOB = txt2imgJob({ prompt: "a lighthouse", seed: 3, width: 512, height: 512, steps: 150, batch_size: 4 });
const SMALL_JOB = txt2imgJob({ prompt: "a cat", seed: 1, steps: 3, width: 64, height: 64, batch_size: 2 });

function backendFor(url: string, env: Record<string, string> = {}): InferenceBackend {
  const config = parseConfig({ SERENA_WORKER_URL: url, SERENA_WORKER_TOKEN: WORKER_TOKEN, ...env });
  return createHttpBackend(config.worker, { inlineLimitBytes: config.maxResponseBytes, retryDelayMs: 10 });
}

const proxies: http.Server[] = [];
afterEach(async () => {
  for (const proxy of proxies.splice(0)) {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

/** A proxy in front of the worker that answers 503 to the first `failures` requests, or never answers. */
async function startFlakyProxy(target: string, behaviour: { failures: number } | "hang") {
  let attempts = 0;
  const server = http.createServer(async (req, res) => {
    attempts++;
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    if (behaviour === "hang") return;
    if (attempts <= behaviour.failures) {
      res.writeHead(503, { "content-type": "text/plain" });
      return res.end("Service Unavailable");
    }
    const upstream = await fetch(new URL(req.url!, target), {
      method: "POST",
      headers: { authorization: req.headers.authorization!, "content-type": "application/json" },
      body: Buffer.concat(chunks),
    });
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(await upstream.text());
  });
  proxies.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, attempts: () => attempts };
}

let worker: WorkerProcess;
beforeAll(async () => {
  worker = await startWorkerProcess();
});
afterAll(async () => {
  await killWorker(worker);
});

describe("a generation through the http backend", () => {
  it("returns the worker's PNGs and info", async () => {
    const output = await backendFor(worker.url).generate(SMALL_JOB);
    await expectPngs(output, 2, { width: 64, height: 64 });
    expect(output.info.all_seeds).toEqual([1, 2]);
    expect(output.info.steps).toBe(3);
    expect(output.storedImageKeys).toBeUndefined();
  });

  it("lists the worker's models", async () => {
    const models = await backendFor(worker.url).listModels();
    expect(models.map((m) => m.model_name)).toEqual(["sd1-diffusers"]);
  });
});

describe("typed errors from the worker", () => {
  it("come back as the same 422, field by field", async () => {
    const error = await backendFor(worker.url).generate(withBody(SMALL_JOB, { steps: "many" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestValidationError);
    // pydantic v1's message for a non-integer (docs/a1111-semantics.md §3.1).
    expect((error as RequestValidationError).issues).toEqual([{ loc: ["body", "steps"], msg: "value is not a valid integer", type: "type_error.integer" }]);
  });

  it("a wrong token is the API's configuration problem: 502, not the client's 401", async () => {
    const error = await backendFor(worker.url, { SERENA_WORKER_TOKEN: "wrong" }).listModels().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(502);
    expect((error as ApiError).message).toMatch(/HTTP 401.*SERENA_WORKER_TOKEN/);
  });
});

describe("retries", () => {
  it("retries a 503 from in front of the worker, then succeeds", async () => {
    const proxy = await startFlakyProxy(worker.url, { failures: 2 });
    const output = await backendFor(proxy.url, { SERENA_WORKER_RETRIES: "2" }).generate(SMALL_JOB);
    await expectPngs(output, 2, { width: 64, height: 64 });
    expect(proxy.attempts()).toBe(3);
  });

  it("gives up after the configured number of retries with a 502 naming each failure", async () => {
    const proxy = await startFlakyProxy(worker.url, { failures: 5 });
    const error = await backendFor(proxy.url, { SERENA_WORKER_RETRIES: "1" }).generate(SMALL_JOB).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(502);
    expect((error as ApiError).message).toMatch(/failed 2 time\(s\): HTTP 503; HTTP 503/);
    expect(proxy.attempts()).toBe(2);
  });

  it("does not retry a typed error: the worker ran the job and answered", async () => {
    const proxy = await startFlakyProxy(worker.url, { failures: 0 });
    const job = withBody(SMALL_JOB, { width: 1 });
    await expect(backendFor(proxy.url, { SERENA_WORKER_RETRIES: "2" }).generate(job)).rejects.toBeInstanceOf(RequestValidationError);
    expect(proxy.attempts()).toBe(1);
  });

  it("retries refused connections, then reports them", async () => {
    const vacant = http.createServer();
    await new Promise<void>((resolve) => vacant.listen(0, "127.0.0.1", resolve));
    const { port } = vacant.address() as AddressInfo;
    await new Promise((resolve) => vacant.close(resolve));
    const error = await backendFor(`http://127.0.0.1:${port}`, { SERENA_WORKER_RETRIES: "2" }).listModels().catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(502);
    expect((error as ApiError).message).toMatch(/failed 3 time\(s\): connection failed: connect ECONNREFUSED 127\.0\.0\.1:\d+;/);
  });
});

describe("timeouts", () => {
  it("a worker slower than SERENA_WORKER_TIMEOUT_MS is a 504, and a hung attempt is not retried", async () => {
    const proxy = await startFlakyProxy(worker.url, "hang");
    const started = performance.now();
    const error = await backendFor(proxy.url, { SERENA_WORKER_TIMEOUT_MS: "300", SERENA_WORKER_RETRIES: "2" })
      .generate(SMALL_JOB)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(504);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(proxy.attempts()).toBe(1);
  });

  it("a generation still running on the worker at the deadline is a 504; the worker finishes it all the same", async () => {
    const finished = worker.nextLog("invocation finished");
    const error = await backendFor(worker.url, { SERENA_WORKER_TIMEOUT_MS: "300" }).generate(BIG_JOB).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(504);
    expect((error as ApiError).errorName).toBe("GatewayTimeout");
    expect((await finished).status).toBe(200);
  });
});

describe("a worker killed mid-job", () => {
  it("fails the call with no result, and the same job succeeds once a worker is back", async () => {
    const backend = backendFor(worker.url, { SERENA_WORKER_RETRIES: "2" });
    const started = worker.nextLog("invocation started");
    const pending = backend.generate(BIG_JOB);
    const settled = pending.then(
      () => "resolved",
      (error: unknown) => error,
    );
    await started;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await killWorker(worker);
    const error = await settled;
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(502);
    // The first attempt lost its connection mid-job; the retries found nothing listening.
    expect((error as ApiError).message).toMatch(/failed 3 time\(s\): connection failed: other side closed; connection failed: connect ECONNREFUSED/);

    worker = await startWorkerProcess({}, worker.port);
    const output = await backend.generate(BIG_JOB);
    await expectPngs(output, 4, { width: 512, height: 512 });
    expect(output.info.all_seeds).toEqual([3, 4, 5, 6]);
  });
});
