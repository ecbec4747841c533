/**
 * Every failure becomes a JSON response here, with the status and body `errorAnswer` gives (lib/a1111/errors.ts):
 * 422 validation errors in FastAPI's shape, typed errors in A1111's shape, anything else a 500 that names the request
 * id and never the stack (which goes to the log). The answer carries the request id in `x-request-id`, also when the
 * local server refuses a request before the stack runs (401, 413, 429).
 */
import { errorAnswer } from "../../../a1111/errors.ts";
import type { RouteMiddleware } from "../context.ts";
import type { HttpResult } from "../event.ts";
import { REQUEST_ID_HEADER } from "../request-id.ts";

export function errorToResult(error: unknown, requestId: string): HttpResult {
  const answer = errorAnswer(error, `request id ${requestId}`);
  const headers = { "content-type": "application/json", ...answer.headers, [REQUEST_ID_HEADER]: requestId };
  return { statusCode: answer.status, headers, body: JSON.stringify(answer.body) };
}

export function errorResponse(): RouteMiddleware {
  return {
    onError(request) {
      const ctx = request.context;
      const answer = errorAnswer(request.error, `request id ${ctx.requestId ?? "unknown"}`);
      if (ctx.platform && !answer.expected) ctx.platform.logger.error("unhandled error", { requestId: ctx.requestId, error: request.error as Error });
      request.response = errorToResult(request.error, ctx.requestId ?? "unknown");
    },
  };
}
