/**
 * What every fuzzed reply must satisfy, whatever the request: never a 5xx (but for the documented 501 of a feature
 * Serena does not have: the route table's `notInSerena` routes, and checkpoint unload/reload without a local
 * backend, in A1111's error shape with `error: "NotImplemented"`); an answer within the time bound; a 4xx
 * with a JSON body in a documented shape (A1111's `HTTPErrorBody`, FastAPI's `ValidationErrorBody`, or FastAPI's
 * `{"detail": "Not Found"}` / `{"detail": "Method Not Allowed"}` for a path or method no route has) and no stack
 * trace; a 422 naming a field (`loc` non-empty, starting with "body" or "query"); a success in the route's response
 * schema.
 */
import * as z from "zod";
import type { RouteDefinition } from "../../lib/a1111/routes/table.ts";
import { HTTPErrorBody, ValidationErrorBody } from "../../lib/a1111/schemas/errors.ts";

/** Per request, including a cold route's first load. */
export const REQUEST_BOUND_MS = 2000;

const STACK_FRAME = /\bat (?:[^\s(]+ \()?(?:file:\/\/|node:|\/)[^\s)]*:\d+:\d+/;
const FRAME_LINE = /(?:\n|\\n)\s+at /;

const RouteMiss = z.object({ detail: z.enum(["Not Found", "Method Not Allowed"]) }).strict();

/** A deliberate 501: A1111's error shape naming the missing feature. */
function isNotImplemented(reply: FuzzReply): boolean {
  if (reply.status !== 501) return false;
  try {
    const body = HTTPErrorBody.safeParse(JSON.parse(reply.text));
    return body.success && body.data.error === "NotImplemented";
  } catch {
    return false;
  }
}

export interface FuzzReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

/** The problems with a reply, or [] when it is acceptable. `route` is null for requests no route matched. */
export function replyProblems(reply: FuzzReply, elapsedMs: number, route: RouteDefinition | null, method: string): string[] {
  const problems: string[] = [];
  if (reply.status >= 500 && !isNotImplemented(reply)) problems.push(`status ${reply.status}`);
  if (elapsedMs > REQUEST_BOUND_MS) problems.push(`took ${Math.round(elapsedMs)} ms (bound ${REQUEST_BOUND_MS} ms)`);
  // A HEAD answer has no body by definition.
  if (method === "HEAD") return problems;
  const contentType = String(reply.headers["content-type"] ?? "");
  if (reply.status >= 400 && reply.status !== route?.status) {
    if (!/^application\/json/.test(contentType)) problems.push(`error with content-type "${contentType}"`);
    if (STACK_FRAME.test(reply.text) || FRAME_LINE.test(reply.text)) problems.push("stack trace in the body");
    let body: unknown;
    try {
      body = JSON.parse(reply.text);
    } catch {
      problems.push("error body is not JSON");
      return problems;
    }
    if (reply.status === 422) {
      const parsed = ValidationErrorBody.safeParse(body);
      if (!parsed.success || parsed.data.detail.length === 0) problems.push("422 body is not ValidationErrorBody with at least one entry");
      else {
        for (const issue of parsed.data.detail) {
          if (issue.loc.length === 0 || (issue.loc[0] !== "body" && issue.loc[0] !== "query")) problems.push(`422 loc ${JSON.stringify(issue.loc)} names no body or query field`);
        }
      }
    } else if (!HTTPErrorBody.safeParse(body).success && !((reply.status === 404 || reply.status === 405) && RouteMiss.safeParse(body).success)) {
      problems.push(`${reply.status} body in no documented shape`);
    }
    return problems;
  }
  if (route && reply.status === (route.status ?? 200) && route.response) {
    let body: unknown;
    try {
      body = JSON.parse(reply.text);
    } catch {
      problems.push("success body is not JSON");
      return problems;
    }
    const parsed = route.response.safeParse(body);
    if (!parsed.success) problems.push(`success body outside the route's response schema: ${parsed.error.issues[0]?.message ?? ""} at ${JSON.stringify(parsed.error.issues[0]?.path)}`);
  }
  return problems;
}
