/**
 * The local server (`npm start`): Node HTTP requests become API Gateway v2 events for the very handlers that run
 * in Lambda. Bodies over the configured limit are refused with 413 while streaming, never buffered whole.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { Context } from "aws-lambda";
import { payloadTooLarge } from "../../a1111/errors.ts";
import type { HttpEvent, HttpResult } from "../http/event.ts";
import { errorToResult } from "../http/middlewares/error-response.ts";
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

const jsonResult = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | { tooLarge: number }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) parts.push(chunk);
      else if (size > limit + DRAIN_ALLOWANCE) req.destroy();
    });
    req.on("end", () => resolve(size > limit ? { tooLarge: size } : Buffer.concat(parts)));
    req.on("close", () => (size > limit ? resolve({ tooLarge: size }) : undefined));
    req.on("error", reject);
  });
}

/** Serves every route with handlers bound to `services` (its configuration, backend and state). */
export function createServer(services: Services): http.Server {
  const { config } = services;
  const bound = new Map<string, (event: HttpEvent, context: Context) => Promise<HttpResult>>();
  return http.createServer(async (req, res) => {
    const requestId = randomUUID();
    try {
      const url = req.url ?? "/";
      const path = url.split("?", 1)[0]!;
      const method = (req.method ?? "GET").toUpperCase();
      // CORS preflights go to any route with the path; its CORS middleware answers them (when configured).
      const preflight = method === "OPTIONS" && config.corsAllowOrigins.length > 0;
      const match = findRoute(preflight ? "ANY" : method, path);
      if (typeof match === "string") {
        req.resume();
        const notFound = match === "not-found";
        return send(res, jsonResult(notFound ? 404 : 405, { detail: notFound ? "Not Found" : "Method Not Allowed" }));
      }
      const body = await readBody(req, config.maxBodyBytes);
      if (!Buffer.isBuffer(body)) return send(res, errorToResult(payloadTooLarge(body.tooLarge, config.maxBodyBytes), requestId));
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
