/**
 * The one middy stack every endpoint shares. A function file is one `lambdaHandler(route)` call, where `route` is an
 * implementation from lib/a1111/routes bound to its declaration in the route table:
 *
 *   request context → access log → CORS → error responses → header/event normalisers → Basic auth
 *   → JSON body (size limit) → zod validation → [CI fake, generation routes only] → route implementation
 *
 * `before` hooks run in that order; `after`/`onError` hooks in reverse, so errors become responses before CORS
 * and logging add their headers. The route runs within its request id's scope (request-id.ts), which the remote
 * inference backends and the job service read.
 */
import middy from "@middy/core";
import httpCors from "@middy/http-cors";
import httpEventNormalizer from "@middy/http-event-normalizer";
import httpHeaderNormalizer from "@middy/http-header-normalizer";
import type { Context } from "aws-lambda";
import type { RouteContext } from "../../a1111/routes/context.ts";
import type { Route, RouteInput } from "../../a1111/routes/route.ts";
import type { RouteDefinition } from "../../a1111/routes/table.ts";
import { getServices, type Services } from "../runtime/services.ts";
import type { HttpContext, RouteMiddleware } from "./context.ts";
import { eventHeaders, eventPathParameters, type HttpEvent, type HttpResult } from "./event.ts";
import { accessLog } from "./middlewares/access-log.ts";
import { basicAuth } from "./middlewares/basic-auth.ts";
import { ciFake, ciFakeSettings } from "./middlewares/ci-fake.ts";
import { errorResponse } from "./middlewares/error-response.ts";
import { jsonBody } from "./middlewares/json-body.ts";
import { requestContext } from "./middlewares/request-context.ts";
import { validateInput } from "./middlewares/validate-input.ts";
import { REQUEST_ID_HEADER, withRequestId } from "./request-id.ts";
import { toHttpResult } from "./response.ts";

export type LambdaHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export type RouteHandler = LambdaHandler & {
  /** The same route bound to explicit services (tests, the local server's own instances). */
  withServices: (services: Services) => LambdaHandler;
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

function build(route: Route, services: () => Services): LambdaHandler {
  const spec = route.definition;
  const stack = middy<HttpEvent, HttpResult, Error, HttpContext>({ timeoutEarlyInMillis: 0 })
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
  if (spec.settings) stack.use(ciFakeSettings());
  const handler = stack.handler(async (event, context) => {
    const input = {
      body: context.body,
      query: context.query,
      pathParameters: eventPathParameters(event),
      headers: eventHeaders(event),
    } as RouteInput<RouteDefinition>;
    const routeContext: RouteContext = { services: context.services, backend: context.backend, requestId: context.requestId };
    return toHttpResult(await withRequestId(context.requestId, () => route.run(input, routeContext)));
  }) as unknown as LambdaHandler;
  // A before hook that answers early (CORS preflight) skips every after hook, the access log's included; middy keeps
  // the context object it was given, so the request id is read back from it here.
  return async (event, context) => {
    const result = await handler(event, context);
    const requestId = (context as Partial<HttpContext>).requestId;
    if (requestId && result?.headers && !(REQUEST_ID_HEADER in result.headers)) result.headers[REQUEST_ID_HEADER] = requestId;
    return result;
  };
}

/** The Lambda handler of a route; the services are created on the first request (once per warm instance). */
export function lambdaHandler(route: Route): RouteHandler {
  let built: LambdaHandler | undefined;
  const handler = (event: HttpEvent, context: Context) => {
    built ??= build(route, getServices);
    return built(event, context);
  };
  return Object.assign(handler, { withServices: (services: Services) => build(route, () => services) });
}
