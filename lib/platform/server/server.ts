/**
 * The local server (`npm start`): Node HTTP requests become API Gateway v2 events for the very handlers that run
 * in Lambda. In front of them it does what API Gateway does for the deployed API (docs/security.md): credentials
 * are checked before anything else, for every path, known or not, so an unauthenticated client learns nothing about
 * the routes and sends no body; bodies over the limit are refused with 413 while streaming, never buffered whole;
 * the bytes of bodies being read at once are bounded (429 beyond), as are connections, and slow clients time out.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { Context } from "aws-lambda";
import { payloadTooLarge, tooManyRequests } from "../../a1111/errors.ts";
import type { HttpEvent, HttpResult } from "../http/event.ts";
import { checkBasicAuth } from "../http/middlewares/basic-auth.ts";
import { errorToResult } from "../http/middlewares/error-response.ts";
import { failureLogFields } from "../http/error-log.ts";
import { clientRequestId, REQUEST_ID_HEADER } from "../http/request-id.ts";
import type { Services } from "../runtime/services.ts";
import { buildEventV2 } from "./event-builder.ts";
import { findRoute, loadHandler } from "./router.ts";

/** Past this many bytes beyond the limit the connection is cut instead of drained. */
const DRAIN_ALLOWANCE = 64 * 1024 * 1024;

function lambdaContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "serena-local",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:serena-local",
    memoryLimitInMB: "0",
    awsRequestId: requestId,
    logGroupName: "local",
    logStreamName: "local",
    getRemainingTimeInMillis: () => 15 * 60 * 1000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: http.ServerResponse, result: HttpResult) {
  const body = result.body === undefined ? "" : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8");
  res.writeHead(result.statusCode, { ...result.headers, "content-length": String(body.length) });
  res.end(body);
}

/** Limits of the local server; the defaults suit a developer's machine and a single-host deployment. */
export interface ServerLimits {
  /** Bytes of request bodies held in memory at once, across all requests. */
  readonly bodyBudgetBytes: number;
  /** Open connections at once. */
  readonly maxConnections: number;
  /** Time to receive the request headers, and the whole request. */
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  bodyBudgetBytes: 64 * 1024 * 1024,
  maxConnections: 256,
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 5_000,
};

function readBody(req: http.IncomingMessage, limit: number, budget: BodyBudget): Promise<Buffer | { tooLarge: number } | { busy: true }> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) return Promise.resolve({ tooLarge: declared });
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let held = 0;
    let refused = false;
    const release = () => budget.release(held);
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (refused) return;
      if (size > limit) {
        if (size > limit + DRAIN_ALLOWANCE) req.destroy();
        return;
      }
      if (!budget.take(chunk.length)) {
        // Answered now; the rest of the body is discarded as it arrives and the connection closed after the answer.
        refused = true;
        release();
        held = 0;
        parts.length = 0;
        return resolve({ busy: true });
      }
      held += chunk.length;
      parts.push(chunk);
    });
    req.on("end", () => {
      release();
      resolve(size > limit ? { tooLarge: size } : Buffer.concat(parts));
    });
    req.on("close", () => {
      release();
      held = 0;
      if (size > limit) resolve({ tooLarge: size });
    });
    req.on("error", (error) => {
      release();
      held = 0;
      reject(error);
    });
  });
}

/** The bytes of request bodies held at once. */
interface BodyBudget {
  take(bytes: number): boolean;
  release(bytes: number): void;
}

function bodyBudget(limit: number): BodyBudget {
  let used = 0;
  return {
    take(bytes) {
      if (used + bytes > limit) return false;
      used += bytes;
      return true;
    },
    release(bytes) {
      used = Math.max(0, used - bytes);
    },
  };
}

/** FastAPI's answer for a path no route has, and for a method the path does not take. */
const routeMiss = (kind: "not-found" | "method-not-allowed", requestId: string): HttpResult => ({
  statusCode: kind === "not-found" ? 404 : 405,
  headers: { "content-type": "application/json", [REQUEST_ID_HEADER]: requestId },
  body: JSON.stringify({ detail: kind === "not-found" ? "Not Found" : "Method Not Allowed" }),
});

/** Serves every route with handlers bound to `services` (its configuration, backend and state). */
export function createServer(services: Services, limits: ServerLimits = DEFAULT_SERVER_LIMITS): http.Server {
  const { config } = services;
  const bound = new Map<string, (event: HttpEvent, context: Context) => Promise<HttpResult>>();
  const budget = bodyBudget(limits.bodyBudgetBytes);
  const server = http.createServer(async (req, res) => {
    // The client's x-request-id when acceptable (lib/platform/http/request-id.ts); the handlers read the same header.
    const requestId = clientRequestId(req.headers) ?? randomUUID();
    const url = req.url ?? "/";
    const path = url.split("?", 1)[0]!;
    const method = (req.method ?? "GET").toUpperCase();
    const refuse = (result: HttpResult, error?: unknown) => {
      // The body was not read: close the connection after the answer rather than drain it.
      res.shouldKeepAlive = false;
      req.resume();
      const reason = error === undefined ? { reason: result.statusCode === 404 ? "no such route" : "method not allowed" } : failureLogFields(error);
      services.logger.warn("request refused", { requestId, method, path: path.slice(0, 200), status: result.statusCode, ...reason });
      send(res, result);
    };
    try {
      // CORS preflights go to any route with the path; its CORS middleware answers them (when configured).
      const preflight = method === "OPTIONS" && config.corsAllowOrigins.length > 0;
      if (!preflight) {
        try {
          checkBasicAuth(req.headers.authorization, config.apiAuth);
        } catch (error) {
          return refuse(errorToResult(error, requestId), error);
        }
      }
      const match = findRoute(preflight ? "ANY" : method, path);
      if (typeof match === "string") return refuse(routeMiss(match, requestId));
      const body = await readBody(req, config.maxBodyBytes, budget);
      if ("tooLarge" in body) {
        const error = payloadTooLarge(body.tooLarge, config.maxBodyBytes);
        return refuse(errorToResult(error, requestId), error);
      }
      if ("busy" in body) {
        const error = tooManyRequests("this server is reading too many request bodies at once; try again shortly", 2);
        return refuse(errorToResult(error, requestId), error);
      }
      const event = buildEventV2({
        method,
        url,
        headers: req.headers,
        body,
        sourceIp: req.socket.remoteAddress,
        requestId,
        pathParameters: match.pathParameters,
        routeKey: `${match.route.method} ${match.route.path}`,
      });
      let handler = bound.get(match.route.file);
      if (!handler) bound.set(match.route.file, (handler = (await loadHandler(match.route)).withServices(services)));
      send(res, await handler(event, lambdaContext(requestId)));
    } catch (error) {
      services.logger.error("local server failure", { requestId, error: error as Error });
      if (!res.headersSent) send(res, errorToResult(error, requestId));
    }
  });
  server.maxConnections = limits.maxConnections;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  return server;
}

/** Starts listening; resolves with the bound address once the socket is open. */
export function listen(server: http.Server, host: string, port: number): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({ host, port: typeof address === "object" && address ? address.port : port });
    });
  });
}
