/**
 * The inference worker over HTTP, for GPU hosts: SageMaker's container contract (`POST /invocations`, `GET /ping`,
 * port 8080) carrying the worker protocol as JSON. `/invocations` answers a WorkerResponse with the HTTP status of
 * its outcome (200, or the typed error's 422/4xx/5xx) and needs `Authorization: Bearer <token>` when a token is set;
 * `/ping` is open, and stays quick during a generation because the engine runs in the local backend's worker thread.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { ApiError, errorAnswer, notFound, payloadTooLarge, RequestValidationError, unauthorized } from "../../a1111/errors.ts";
import { deserializeError, serializeError } from "../inference/errors.ts";
import type { WorkerResponse } from "../inference/job-protocol.ts";
import type { Logger } from "../runtime/logger.ts";
import { handleWorkerRequest, type WorkerDeps } from "./handle-request.ts";

export interface WorkerServerOptions {
  /** The bearer token `/invocations` requires; null leaves it open (loopback, or SageMaker's private network). */
  token: string | null;
  maxBodyBytes: number;
  logger: Logger;
}

/** The HTTP status of an answer: 200, or the status `errorAnswer` gives its error (the API tier's own mapping). */
const responseStatus = (response: WorkerResponse) => (response.ok ? 200 : errorAnswer(deserializeError(response.error), "the worker's log").status);

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

  async function invocation(req: http.IncomingMessage, res: http.ServerResponse) {
    if (token !== null && !authorized(req.headers.authorization, token)) {
      req.resume();
      const body: WorkerResponse = { ok: false, error: serializeError(unauthorized("Missing or wrong bearer token")) };
      return send(res, 401, body, { "www-authenticate": "Bearer" });
    }
    const started = performance.now();
    let response: WorkerResponse;
    try {
      const request = await readJson(req, maxBodyBytes);
      logger.info("invocation started", { type: (request as { type?: unknown } | null)?.type });
      response = await handleWorkerRequest(request, deps);
    } catch (error) {
      response = { ok: false, error: serializeError(error) };
      // A body that was refused may not have been read to its end: close the connection after the answer.
      res.shouldKeepAlive = false;
    }
    const status = responseStatus(response);
    logger.info("invocation finished", { status, ms: Math.round(performance.now() - started) });
    // Once close() has been called (SIGTERM), a kept-alive connection would hold the shutdown until it times out.
    if (!server.listening) res.shouldKeepAlive = false;
    send(res, status, response);
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
    send(res, error.status, { ok: false, error: serializeError(error) });
  });
  return server;
}
