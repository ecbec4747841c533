/**
 * Seeds the per-request context: services, start time, default backend, and the request id (request-id.ts): the
 * client's `x-request-id` when acceptable, else API Gateway's request id, else the Lambda invocation's, else a UUID.
 * It runs before the header normaliser, so the header is looked up whatever its case.
 */
import { randomUUID } from "node:crypto";
import type { Services } from "../../runtime/services.ts";
import type { RouteMiddleware } from "../context.ts";
import { eventHeaders, eventRequestId } from "../event.ts";
import { acceptRequestId, clientRequestId } from "../request-id.ts";

export function requestContext(getServices: () => Services): RouteMiddleware {
  return {
    before(request) {
      const services = getServices();
      const ctx = request.context;
      ctx.platform = services;
      ctx.services = services;
      ctx.backend = services.backend;
      ctx.startedAt = performance.now();
      ctx.requestId =
        clientRequestId(eventHeaders(request.event)) ?? acceptRequestId(eventRequestId(request.event)) ?? acceptRequestId(ctx.awsRequestId) ?? randomUUID();
    },
  };
}
