/**
 * One JSON log line per request (method, path, status, duration, request id) and A1111's `X-Process-Time` header
 * plus `x-request-id`. A refused request (4xx) is logged as a warning with its reason and, for a 422, the first
 * invalid field (error-log.ts); a 5xx as an error. Bodies are never logged: they carry prompts and base64 images.
 */
import type { RouteMiddleware, RouteRequest } from "../context.ts";
import { failureLogFields } from "../error-log.ts";
import { eventMethod, eventPath } from "../event.ts";
import { REQUEST_ID_HEADER } from "../request-id.ts";

function finish(request: RouteRequest) {
  const ctx = request.context;
  const response = request.response;
  if (!response || !ctx.platform) return;
  const seconds = (performance.now() - ctx.startedAt) / 1000;
  response.headers["x-process-time"] = seconds.toFixed(4);
  response.headers[REQUEST_ID_HEADER] = ctx.requestId;
  const entry = {
    requestId: ctx.requestId,
    method: eventMethod(request.event),
    path: eventPath(request.event),
    status: response.statusCode,
    durationMs: Math.round(seconds * 1000),
    backend: ctx.backend?.name,
  };
  const { logger } = ctx.platform;
  if (response.statusCode >= 500) logger.error("request failed", { ...entry, error: request.error?.message });
  else if (response.statusCode >= 400) logger.warn("request refused", { ...entry, ...failureLogFields(request.error, ctx.rawBody) });
  else logger.info("request", entry);
}

export function accessLog(): RouteMiddleware {
  return { after: finish, onError: finish };
}
