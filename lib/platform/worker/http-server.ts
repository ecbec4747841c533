/**
 * The inference worker over HTTP, for GPU hosts: SageMaker's container contract (`POST /invocations`, `GET /ping`,
 * port 8080) carrying the worker protocol as JSON. `/invocations` answers a WorkerResponse with the HTTP status of
 * its outcome (200, or the typed error's 422/4xx/5xx) and needs `Authorization: Bearer <token>` when a token is set;
 * `/ping` is open, and stays quick during a generation because the engine runs in the local backend's worker thread.
 * Every answer carries the invocation's request id in `x-request-id`: the caller's header, else the body's
 * `requestId`, else a new one (handle-request.ts logs under it).
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { ApiError, notFound, payloadTooLarge, RequestValidationError, unauthorized } from "../../a1111/errors.ts";
import { failureLogFields } from "../http/error-log.ts";
import { clientRequestId, REQUEST_ID_HEADER } from "../http/request-id.ts";
import { serializeError } from "../inference/errors.ts";
import type { WorkerResponse } from "../inference/job-protocol.ts";
import type { Logger } from "../runtime/logger.ts";
import { invocationRequestId, invokeWorker, type WorkerDeps } from "./handle-request.ts";

export interface WorkerServerOptions {
  /** The bearer token `/invocations` requires; null leaves it open (loopback, or SageMaker's private network). */
  token: string | null;
  maxBodyBytes: number;
  logger: Logger;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Compares digests, which have one length, so the time taken says nothing about the token. */
function authorized(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(header ?? "")?.[1] ?? "";
  return timingSafeEqual(digest(presented), digest(token));
}

async function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) throw payloadTooLarge(declared, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw payloadTooLarge(size, limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    // The API tier's answer to a body that is not JSON (lib/platform/http/middlewares/json-body.ts, after FastAPI's).
    const message = (error as Error).message;
    const position = Number(/position (\d+)/.exec(message)?.[1] ?? 0);
    throw new RequestValidationError([{ loc: ["body", position], msg: `Invalid JSON: ${message}`, type: "value_error.jsondecode" }]);
  }
}

export function createWorkerServer(deps: WorkerDeps, options: WorkerServerOptions): http.Server {
  const { token, maxBodyBytes, logger } = options;

  /** A request refused before it reached the worker protocol (auth, body size, JSON), logged and answered. */
  function refuse(res: http.ServerResponse, requestId: string, error: ApiError | RequestValidationError, headers: Record<string, string> = {}) {
    const status = error instanceof ApiError ? error.status : 422;
    logger.warn("invocation refused", { requestId, status, ...failureLogFields(error) });
    send(res, status, { ok: false, error: serializeError(error) } satisfies WorkerResponse, { ...headers, [REQUEST_ID_HEADER]: requestId });
  }

  async function invocation(req: http.IncomingMessage, res: http.ServerResponse) {
    const carried = clientRequestId(req.headers);
    if (token !== null && !authorized(req.headers.authorization, token)) {
      req.resume();
      return refuse(res, carried ?? randomUUID(), unauthorized("Missing or wrong bearer token"), { "www-authenticate": "Bearer" });
    }
    let request: unknown;
    try {
      request = await readJson(req, maxBodyBytes);
    } catch (error) {
      // A body that was refused may not have been read to its end: close the connection after the answer.
      res.shouldKeepAlive = false;
      if (error instanceof ApiError || error instanceof RequestValidationError) return refuse(res, carried ?? randomUUID(), error);
      throw error;
    }
    const { response, status, requestId } = await invokeWorker(request, deps, { logger, requestId: invocationRequestId(request, carried) });
    // Once close() has been called (SIGTERM), a kept-alive connection would hold the shutdown until it times out.
    if (!server.listening) res.shouldKeepAlive = false;
    send(res, status, response, { [REQUEST_ID_HEADER]: requestId });
  }

  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0];
    const route = `${req.method} ${path}`;
    if (route === "GET /ping") return send(res, 200, {});
    if (route === "POST /invocations") {
      return void invocation(req, res).catch((error: unknown) => {
        logger.error("invocation failed", { error: String(error) });
        if (!res.headersSent) send(res, 500, { ok: false, error: serializeError(error) });
      });
    }
    req.resume();
    const known = path === "/ping" || path === "/invocations";
    const error = known ? new ApiError(405, "HTTPException", "Method Not Allowed") : notFound("Not Found");
    refuse(res, clientRequestId(req.headers) ?? randomUUID(), error);
  });
  return server;
}
