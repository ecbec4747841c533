/** A route's result as an API Gateway result. */
import { isRouteResult } from "../../a1111/routes/route.ts";
import type { HttpResult } from "./event.ts";

/** Plain values are JSON with status 200 (`null` stays `null`); a RouteResult keeps its status, headers and body. */
export function toHttpResult(value: unknown): HttpResult {
  if (isRouteResult(value)) return { statusCode: value.status, headers: { ...value.headers }, body: value.body };
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value === undefined ? null : value),
  };
}
