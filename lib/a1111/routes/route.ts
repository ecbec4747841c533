/**
 * A route's implementation, bound to its declaration in the route table. The platform layer wraps it in the HTTP
 * stack (parsing, auth, validation with the declared schemas, errors); the implementation gets the validated input
 * and returns a JSON value, or a `RouteResult` for another status, headers or content type.
 */
import type * as z from "zod";
import type { RouteContext } from "./context.ts";
import type { RouteDefinition } from "./table.ts";

const RESULT = Symbol("route-result");

export interface RouteResult {
  readonly [RESULT]: true;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A response with its own status, content type or body (HTML, 202 Accepted, …). */
export function routeResult(status: number, body: string, headers: Record<string, string> = {}): RouteResult {
  return { [RESULT]: true, status, headers, body };
}

export const jsonResult = (status: number, value: unknown, headers: Record<string, string> = {}) =>
  routeResult(status, JSON.stringify(value), { "content-type": "application/json", ...headers });

export function isRouteResult(value: unknown): value is RouteResult {
  return typeof value === "object" && value !== null && RESULT in value;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<D extends RouteDefinition> {
  readonly body: Out<D["body"]>;
  readonly query: Out<D["query"]>;
  readonly pathParameters: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface Route<D extends RouteDefinition = RouteDefinition> {
  readonly definition: D;
  run(input: RouteInput<D>, ctx: RouteContext): Promise<unknown>;
}

export function implement<D extends RouteDefinition>(definition: D, run: (input: RouteInput<D>, ctx: RouteContext) => Promise<unknown>): Route<D> {
  return { definition, run };
}
