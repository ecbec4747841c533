/** The per-request state the middlewares fill in, which the route implementation reads as its RouteContext. */
import type { MiddlewareObj, Request } from "@middy/core";
import type { Context } from "aws-lambda";
import type { InferenceBackend } from "../../a1111/backend.ts";
import type { RouteServices } from "../../a1111/routes/context.ts";
import type { Services } from "../runtime/services.ts";
import type { HttpEvent, HttpResult } from "./event.ts";

export interface HttpContext extends Context {
  /** The process's services. */
  platform: Services;
  /** What the route sees: the same services, with async jobs bound to this request's backend. */
  services: RouteServices;
  /** The backend for this request: the configured one, or the CI fake (middlewares/ci-fake.ts). */
  backend: InferenceBackend;
  requestId: string;
  startedAt: number;
  /** The JSON body as parsed (before validation), or undefined when there is none. */
  rawBody: unknown;
  body: unknown;
  query: unknown;
}

export type RouteRequest = Request<HttpEvent, HttpResult, Error, HttpContext>;
export type RouteMiddleware = MiddlewareObj<HttpEvent, HttpResult, Error, HttpContext>;
