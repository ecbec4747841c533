/**
 * Every failure becomes a JSON response here, and only here: 422 validation errors in FastAPI's shape, typed
 * errors in A1111's `{error, detail, body, errors}` shape with their status, anything else a 500 that names the
 * request id and never the stack.
 */
import { ApiError, RequestValidationError } from "../../../a1111/errors.ts";
import type { RouteMiddleware } from "../context.ts";
import type { HttpResult } from "../event.ts";

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

export function errorToResult(error: unknown, requestId: string): HttpResult {
  if (error instanceof RequestValidationError) return json(422, { detail: error.issues });
  if (error instanceof ApiError) {
    const headers: Record<string, string> = error.status === 401 ? { "www-authenticate": 'Basic realm="serena"' } : {};
    return json(error.status, { error: error.errorName, detail: error.message, body: "", errors: "" }, headers);
  }
  return json(500, {
    error: "InternalServerError",
    detail: `internal error; the server log has the details under request id ${requestId}`,
    body: "",
    errors: "",
  });
}

export function errorResponse(): RouteMiddleware {
  return {
    onError(request) {
      const ctx = request.context;
      const error = request.error;
      if (ctx.services && !(error instanceof ApiError || error instanceof RequestValidationError)) {
        ctx.services.logger.error("unhandled error", { requestId: ctx.requestId, error: error as Error });
      }
      request.response = errorToResult(error, ctx.requestId ?? "unknown");
    },
  };
}
