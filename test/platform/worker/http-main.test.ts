/** `npm run worker` as a process: where it listens, and how it stops. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killWorker, startWorkerProcess, WORKER_TOKEN, type WorkerProcess } from "./worker-process.ts";

/** About 2 s on a 2-core VM with the tiny model (steps at the schema's maximum). */
const BIG_REQUEST = { type: "txt2img", request: { prompt: "a lighthouse", seed: 3, width: 512, height: 512, steps: 150, batch_size: 4 } };

let worker: WorkerProcess;
beforeAll(async () => {
  worker = await startWorkerProcess();
});
afterAll(async () => {
  if (worker.child.exitCode === null && worker.child.signalCode === null) await killWorker(worker);
});

describe("where the worker listens", () => {
  it("on 127.0.0.1 unless HOST says otherwise, on the port PORT names", async () => {
    expect(new URL(worker.url).hostname).toBe("127.0.0.1");
    expect((await fetch(`${worker.url}/ping`)).status).toBe(200);
  });
});

describe("SIGTERM", () => {
  it("lets the running invocation finish, then exits 0", async () => {
    const started = worker.nextLog("invocation started");
    const generation = fetch(`${worker.url}/invocations`, {
      method: "POST",
      headers: { authorization: `Bearer ${WORKER_TOKEN}` },
      body: JSON.stringify(BIG_REQUEST),
    });
    await started;
    worker.child.kill("SIGTERM");
    const res = await generation;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { images: unknown[] }).images).toHaveLength(4);
    expect(await worker.exited).toBe(0);
  });
});
