/**
 * The one middy stack every endpoint shares (DESIGN.md §1). A function file is one `defineRoute` call:
 *
 *   request context → access log → CORS → error responses → header/event normalisers → Basic auth
 *   → JSON body (size limit) → zod validation → [CI fake, generation routes only] → route implementation
 *
 * `before` hooks run in that order; `after`/`onError` hooks in reverse, so errors become responses before CORS
 * and logging add their headers.
 */
import middy from "@middy/core";
import httpCors from "@middy/http-cors";
import httpEventNormalizer from "@middy/http-event-normalizer";
import httpHeaderNormalizer from "@middy/http-header-normalizer";
import type { Context } from "aws-lambda";
import type { z } from "zod";
import { getServices, type Services } from "../runtime/services.ts";
import type { RouteContext, RouteMiddleware } from "./context.ts";
import { eventHeaders, eventPathParameters, type HttpEvent, type HttpResult } from "./event.ts";
import { accessLog } from "./middlewares/access-log.ts";
import { basicAuth } from "./middlewares/basic-auth.ts";
import { ciFake } from "./middlewares/ci-fake.ts";
import { errorResponse } from "./middlewares/error-response.ts";
import { jsonBody } from "./middlewares/json-body.ts";
import { requestContext } from "./middlewares/request-context.ts";
import { validateInput } from "./middlewares/validate-input.ts";
import { toHttpResult } from "./response.ts";

export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  summary?: string;
  /** The 200 body's schema (documentation and tests; responses are not re-validated at run time). */
  response?: z.ZodType | null;
  body?: B;
  query?: Q;
  /** txt2img/img2img: the CI fake may replace the backend. */
  generation?: boolean;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<B, Q> {
  body: B;
  query: Q;
  pathParameters: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  event: HttpEvent;
}

export type RouteImplementation<B, Q> = (input: RouteInput<B, Q>, ctx: RouteContext) => Promise<unknown>;

export type RouteHandler = ((event: HttpEvent, context: Context) => Promise<HttpResult>) & {
  /** The same route bound to explicit services (tests, the local server's own instances). */
  withServices: (services: Services) => (event: HttpEvent, context: Context) => Promise<HttpResult>;
};

function corsFor(services: Services): RouteMiddleware[] {
  const origins = services.config.corsAllowOrigins;
  if (origins.length === 0) return [];
  return [
    httpCors({
      origins,
      disableBeforePreflightResponse: false,
      headers: "authorization,content-type",
      methods: "GET,POST,DELETE,OPTIONS",
    }) as unknown as RouteMiddleware,
  ];
}

function build<B extends z.ZodType | undefined, Q extends z.ZodType | undefined>(
  spec: RouteSpec<B, Q>,
  impl: RouteImplementation<Out<B>, Out<Q>>,
  services: () => Services,
) {
  const stack = middy<HttpEvent, HttpResult, Error, RouteContext>({ timeoutEarlyInMillis: 0 })
    .use(requestContext(services))
    .use(accessLog())
    .use(corsFor(services()))
    .use(errorResponse())
    .use(httpHeaderNormalizer() as unknown as RouteMiddleware)
    .use(httpEventNormalizer() as unknown as RouteMiddleware)
    .use(basicAuth())
    .use(jsonBody({ parse: spec.body !== undefined }))
    .use(validateInput({ body: spec.body, query: spec.query }));
  if (spec.generation) stack.use(ciFake());
  return stack.handler(async (event, context) => {
    const input: RouteInput<Out<B>, Out<Q>> = {
      body: context.body as Out<B>,
      query: context.query as Out<Q>,
      pathParameters: eventPathParameters(event),
      headers: eventHeaders(event),
      event,
    };
    return toHttpResult(await impl(input, context));
  }) as unknown as (event: HttpEvent, context: Context) => Promise<HttpResult>;
}

export function defineRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<B, Q>,
  impl: RouteImplementation<Out<B>, Out<Q>>,
): RouteHandler {
  let built: ((event: HttpEvent, context: Context) => Promise<HttpResult>) | undefined;
  const handler = (event: HttpEvent, context: Context) => {
    built ??= build(spec, impl, getServices);
    return built(event, context);
  };
  return Object.assign(handler, {
    withServices: (services: Services) => build(spec, impl, () => services),
  });
}
