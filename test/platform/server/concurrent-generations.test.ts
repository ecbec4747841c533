/**
 * 50 txt2img requests at once against the real engine behind the local server (docs/security.md "Load"): each one
 * is answered 200, or 429 with Retry-After once the bounded queue is full; `/progress` keeps answering while they
 * run and names the generation that is running; the process's memory stays bounded. Latency figures for the same
 * scenario come from `npm run bench:load` (scripts/bench-load.ts); the bound here only catches a blocked loop.
 */
import type http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/platform/config.ts";
import { createServices, type Services } from "../../../lib/platform/runtime/services.ts";
import { createServer, DEFAULT_SERVER_LIMITS, listen } from "../../../lib/platform/server/server.ts";
import { TEST_CACHE_DIR, tinyModelDir } from "../../fixtures/engine.ts";

const CONCURRENT = 50;
const QUEUE = 8;

let server: http.Server;
let services: Services;
let base: string;

beforeAll(async () => {
  const config = parseConfig({
    SERENA_BACKEND: "local",
    SERENA_MODEL_DIR: await tinyModelDir(),
    SERENA_CACHE_DIR: TEST_CACHE_DIR,
    SERENA_MAX_QUEUE: String(QUEUE),
    SERENA_LOG_LEVEL: "silent",
  });
  services = createServices(config);
  server = createServer(services, DEFAULT_SERVER_LIMITS);
  base = `http://127.0.0.1:${(await listen(server, "127.0.0.1", 0)).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await services.backend.close?.();
});

interface ProgressSample {
  readonly ms: number;
  readonly job: string;
  readonly jobTimestamp: string;
  readonly samplingSteps: number;
}

describe(`${CONCURRENT} concurrent txt2img requests on the real engine`, () => {
  it("are each a 200 or a 429 with Retry-After, while /progress answers and names the running job", async () => {
    const rssBefore = process.memoryUsage().rss;
    let done = false;
    const samples: ProgressSample[] = [];
    const poll = (async () => {
      while (!done) {
        const started = performance.now();
        const body = (await (await fetch(`${base}/sdapi/v1/progress?skip_current_image=true`)).json()) as {
          state: { job: string; job_timestamp: string; sampling_steps: number };
        };
        samples.push({ ms: performance.now() - started, job: body.state.job, jobTimestamp: body.state.job_timestamp, samplingSteps: body.state.sampling_steps });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    const replies = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const response = await fetch(`${base}/sdapi/v1/txt2img`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ prompt: `a fox ${i}`, seed: i, steps: 12, width: 128, height: 128 }),
        });
        await response.arrayBuffer();
        return { status: response.status, retryAfter: response.headers.get("retry-after") };
      }),
    );
    done = true;
    await poll;

    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 429), JSON.stringify(statuses)).toBe(true);
    // One runs, QUEUE wait; the rest are refused at once.
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(QUEUE + 1);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    for (const reply of replies.filter((r) => r.status === 429)) expect(Number(reply.retryAfter)).toBeGreaterThan(0);

    const running = samples.filter((s) => s.job !== "");
    expect(running.length).toBeGreaterThan(0);
    for (const sample of running) {
      expect(sample.job).toBe("scripts_txt2img");
      expect(sample.jobTimestamp).toMatch(/^\d{14}$/);
      expect(sample.samplingSteps).toBe(12);
    }
    // A bound that only a blocked event loop would break (the benchmark reports the real figures).
    expect(Math.max(...samples.map((s) => s.ms))).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 2 ** 20);
  });
});
