/**
 * The `http` backend: jobs go to a GPU host running the inference worker's HTTP server (lib/platform/worker/http-server.ts,
 * SageMaker's `POST /invocations` contract) with `Authorization: Bearer SERENA_WORKER_TOKEN`.
 *
 * Time: `timeoutMs` (SERENA_WORKER_TIMEOUT_MS, 28 s by default so that an answer still fits API Gateway's 30 s) bounds
 * the whole call, retries and their delays included: each attempt gets what is left, so an attempt that runs out of
 * time ends the call with a 504 and is never retried. That also keeps a generation that is probably still running
 * on the worker from being queued a second time behind itself on the same GPU.
 *
 * Retries (at most `retries`, with exponential backoff and jitter) are for failures of the transport, not of the job:
 * - a connection that could not be made, or was lost before the answer: the worker restarted, was replaced or
 *   crashed mid-job. A generation has no side effect but its stored images, and the retry sends the very same
 *   request (same output prefix), so running it again is safe; with seed -1 the retry draws new seeds, which is
 *   fine because nothing was returned the first time.
 * - a 5xx that is not a worker answer (a load balancer or proxy in front of a worker that is starting or gone).
 * Not retried: typed errors the worker answered (it ran the job; the same request fails the same way) and 4xx.
 *
 * The request id travels in the body's `requestId` and in `x-request-id` too, so that a proxy's or load balancer's
 * access log in front of the worker can be matched to the API's.
 */
import type { Config } from "../config.ts";
import { gatewayTimeout } from "../../a1111/errors.ts";
import type { InferenceBackend } from "../../a1111/backend.ts";
import { REQUEST_ID_HEADER } from "../http/request-id.ts";
import type { WorkerRequest } from "./job-protocol.ts";
import { badGateway, remoteBackend } from "./remote-worker.ts";

export interface HttpBackendOptions {
  /** Images whose base64 passes this many bytes are stored by the worker (SERENA_MAX_RESPONSE_BYTES). */
  inlineLimitBytes: number;
  /** The first retry's delay; each further one doubles it. */
  retryDelayMs?: number;
}

type Attempt = { payload: unknown } | { retry: string } | { timedOut: true };

/** Statuses that say the worker could not be addressed or refused the caller: a configuration problem here. */
const MISADDRESSED = new Set([401, 403, 404, 405]);

interface FetchFailure {
  code?: string;
  message?: string;
}

const causeOf = (error: unknown): FetchFailure => (error as { cause?: FetchFailure }).cause ?? {};

/**
 * Node's fetch (undici) gives up on its own after 300 s without response headers or body data; that is a slow
 * worker, not a lost one, so it ends the call like the deadline does. Jobs that long belong on the async job path.
 */
const FETCH_TIMEOUTS = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isWorkerAnswer = (body: unknown) => typeof body === "object" && body !== null && "ok" in body;

export function createHttpBackend(worker: Config["worker"], options: HttpBackendOptions): InferenceBackend {
  if (!worker.url) throw new Error("SERENA_BACKEND=http needs SERENA_WORKER_URL, the inference worker's base URL");
  const endpoint = new URL("invocations", worker.url.endsWith("/") ? worker.url : `${worker.url}/`);
  const where = `The inference worker at ${endpoint}`;
  const retryDelayMs = options.retryDelayMs ?? 250;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (worker.token) headers.authorization = `Bearer ${worker.token}`;

  async function attempt(body: string, requestId: string | undefined, timeLeftMs: number): Promise<Attempt> {
    const signal = AbortSignal.timeout(timeLeftMs);
    let status: number;
    let text: string;
    try {
      const response = await fetch(endpoint, { method: "POST", headers: requestId ? { ...headers, [REQUEST_ID_HEADER]: requestId } : headers, body, signal });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const cause = causeOf(error);
      if (signal.aborted || FETCH_TIMEOUTS.has(cause.code ?? "")) return { timedOut: true };
      return { retry: `connection failed: ${cause.message || cause.code || String(error)}` };
    }
    if (MISADDRESSED.has(status)) {
      throw badGateway(`${where} answered HTTP ${status}: check SERENA_WORKER_URL and SERENA_WORKER_TOKEN`);
    }
    const payload = parseJson(text);
    if (status < 300 || isWorkerAnswer(payload)) return { payload };
    if (status >= 500) return { retry: `HTTP ${status}` };
    throw badGateway(`${where} answered HTTP ${status}: ${text.slice(0, 200)}`);
  }

  async function invoke(request: WorkerRequest): Promise<unknown> {
    const body = JSON.stringify(request);
    const started = Date.now();
    const deadline = started + worker.timeoutMs;
    const failures: string[] = [];
    for (let tries = 1; ; tries++) {
      const outcome = await attempt(body, request.requestId, Math.max(1, deadline - Date.now()));
      if ("payload" in outcome) return outcome.payload;
      if ("timedOut" in outcome) throw gatewayTimeout(`${where} did not answer within ${Date.now() - started} ms`);
      failures.push(outcome.retry);
      const delay = retryDelayMs * 2 ** (tries - 1) * (0.5 + Math.random() / 2);
      if (tries > worker.retries || Date.now() + delay >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    throw badGateway(`${where} failed ${failures.length} time(s): ${failures.join("; ")}`);
  }

  return remoteBackend("http", where, options.inlineLimitBytes, invoke);
}
