/** Validates the parsed body and the query string with the route's zod schemas (422 on failure). */
import type * as z from "zod";
import type { RouteMiddleware } from "../context.ts";
import { eventQuery } from "../event.ts";
import { validate } from "../../../a1111/validation.ts";

export function validateInput(schemas: { body?: z.ZodType; query?: z.ZodType }): RouteMiddleware {
  return {
    before(request) {
      const ctx = request.context;
      if (schemas.body) ctx.body = validate(schemas.body, ctx.rawBody, "body");
      if (schemas.query) ctx.query = validate(schemas.query, eventQuery(request.event), "query");
    },
  };
}
