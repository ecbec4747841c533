/** Polling a job through the API, and small local HTTP endpoints that stand in for a webhook receiver. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import { JobView } from "../../../lib/a1111/schemas/jobs.ts";
import type { ApiClient } from "../../fixtures/api.ts";

export const JOBS = "/serena/v1/jobs";

export async function readJob(client: ApiClient, id: string): Promise<JobView> {
  const reply = await client.get(`${JOBS}/${id}`);
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
  return JobView.parse(reply.json());
}

/** Reads the job every 50 ms until `done` holds for it; fails after `timeoutMs`. */
export async function pollJob(client: ApiClient, id: string, done: (job: JobView) => boolean, timeoutMs = 60_000): Promise<JobView> {
  const giveUp = Date.now() + timeoutMs;
  for (;;) {
    const job = await readJob(client, id);
    if (done(job)) return job;
    if (Date.now() > giveUp) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms: ${JSON.stringify(job.progress)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const finished = (job: JobView) => ["succeeded", "failed", "cancelled"].includes(job.status);

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface LocalEndpoint {
  url: string;
  received: ReceivedRequest[];
  /** Resolves with the next request received. */
  next(): Promise<ReceivedRequest>;
  close(): Promise<void>;
}

/** An HTTP server that records every request and answers with `respond` (200 "ok" by default). */
export async function startLocalEndpoint(
  respond: (req: ReceivedRequest, res: http.ServerResponse) => void = (_req, res) => res.end("ok"),
): Promise<LocalEndpoint> {
  const received: ReceivedRequest[] = [];
  const waiting: ((r: ReceivedRequest) => void)[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const request = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
    received.push(request);
    waiting.shift()?.(request);
    respond(request, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
