/**
 * One JSON log line per request (method, path, status, duration, request id) and A1111's `X-Process-Time`
 * header plus `x-request-id`. Bodies are never logged: they carry base64 images.
 */
import type { RouteMiddleware, RouteRequest } from "../context.ts";
import { eventMethod, eventPath } from "../event.ts";

function finish(request: RouteRequest) {
  const ctx = request.context;
  const response = request.response;
  if (!response || !ctx.platform) return;
  const seconds = (performance.now() - ctx.startedAt) / 1000;
  response.headers["x-process-time"] = seconds.toFixed(4);
  response.headers["x-request-id"] = ctx.requestId;
  const entry = {
    requestId: ctx.requestId,
    method: eventMethod(request.event),
    path: eventPath(request.event),
    status: response.statusCode,
    durationMs: Math.round(seconds * 1000),
    backend: ctx.backend?.name,
  };
  if (response.statusCode >= 500) ctx.platform.logger.error("request failed", { ...entry, error: request.error?.message });
  else ctx.platform.logger.info("request", entry);
}

export function accessLog(): RouteMiddleware {
  return { after: finish, onError: finish };
}
