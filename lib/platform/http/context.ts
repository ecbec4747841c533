/** The per-request state the middlewares fill in and route implementations read. */
import type { MiddlewareObj, Request } from "@middy/core";
import type { Context } from "aws-lambda";
import type { InferenceBackend } from "../../a1111/backend.ts";
import type { Services } from "../runtime/services.ts";
import type { HttpEvent, HttpResult } from "./event.ts";

export interface RouteContext extends Context {
  services: Services;
  /** The backend for this request: the configured one, or the CI fake (middlewares/ci-fake.ts). */
  backend: InferenceBackend;
  requestId: string;
  startedAt: number;
  /** The JSON body as parsed (before validation), or undefined when there is none. */
  rawBody: unknown;
  body: unknown;
  query: unknown;
}

export type RouteRequest = Request<HttpEvent, HttpResult, Error, RouteContext>;
export type RouteMiddleware = MiddlewareObj<HttpEvent, HttpResult, Error, RouteContext>;
