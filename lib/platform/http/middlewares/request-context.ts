/** Seeds the per-request context: services, request id, start time, default backend. */
import { randomUUID } from "node:crypto";
import type { Services } from "../../runtime/services.ts";
import type { RouteMiddleware } from "../context.ts";
import { eventRequestId } from "../event.ts";

export function requestContext(getServices: () => Services): RouteMiddleware {
  return {
    before(request) {
      const services = getServices();
      const ctx = request.context;
      ctx.platform = services;
      ctx.services = services;
      ctx.backend = services.backend;
      ctx.startedAt = performance.now();
      ctx.requestId = eventRequestId(request.event) ?? ctx.awsRequestId ?? randomUUID();
    },
  };
}
