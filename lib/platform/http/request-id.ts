/**
 * The request id that ties together every log line one request causes, in the API, the inference worker and the
 * job runner, and that the client gets back in `x-request-id`.
 *
 * - A client's own `x-request-id` is kept when it is printable ASCII of at most 128 characters; anything else is
 *   replaced by a fresh id, so arbitrary bytes never reach a log line or a response header.
 * - Without one, the id is API Gateway's `requestContext.requestId` (the local server makes a UUID).
 * - Within a process the id travels with the work in an AsyncLocalStorage scope (Node's `async_hooks`), so code far
 *   from the HTTP layer (the remote inference backends, the job service) reads it without every port growing a
 *   parameter; across processes it travels in the worker protocol's `requestId` and the `x-request-id` header.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export const REQUEST_ID_HEADER = "x-request-id";
export const MAX_REQUEST_ID_LENGTH = 128;

/** Visible ASCII, with inner spaces allowed (HTTP trims a header value's outer whitespace anyway). */
const PRINTABLE_ASCII = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** `value` when it may serve as a request id, otherwise null. */
export function acceptRequestId(value: unknown): string | null {
  if (typeof value !== "string" || value.length > MAX_REQUEST_ID_LENGTH) return null;
  return PRINTABLE_ASCII.test(value) ? value : null;
}

/** A header by name whatever its case (API Gateway v1 events and raw Node headers keep the client's case). */
export function headerValue(headers: Record<string, string | string[] | undefined> | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value.join(",") : value;
  }
  return undefined;
}

/** The client's `x-request-id`, when it is acceptable. */
export const clientRequestId = (headers: Record<string, string | string[] | undefined> | null | undefined): string | null =>
  acceptRequestId(headerValue(headers, REQUEST_ID_HEADER));

const scope = new AsyncLocalStorage<string>();

/** Runs `fn` with `requestId` as the current request id of everything it starts. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return scope.run(requestId, fn);
}

/** The request id of the work in progress, if it runs within `withRequestId`. */
export function currentRequestId(): string | undefined {
  return scope.getStore();
}
