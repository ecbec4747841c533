/** Responses a route implementation can return besides a plain JSON value. */
import type { HttpResult } from "./event.ts";

const RAW = Symbol("raw-response");

export interface RawResponse {
  [RAW]: true;
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** A response with its own status, content type or body encoding (HTML, 202 Accepted, …). */
export function rawResponse(statusCode: number, body: string, headers: Record<string, string> = {}): RawResponse {
  return { [RAW]: true, statusCode, headers, body };
}

export const jsonResponse = (statusCode: number, value: unknown, headers: Record<string, string> = {}) =>
  rawResponse(statusCode, JSON.stringify(value), { "content-type": "application/json", ...headers });

export function isRawResponse(value: unknown): value is RawResponse {
  return typeof value === "object" && value !== null && RAW in value;
}

/** Any route result as an API Gateway result: plain values are JSON with status 200 (`null` stays `null`). */
export function toHttpResult(value: unknown): HttpResult {
  if (isRawResponse(value)) return { statusCode: value.statusCode, headers: { ...value.headers }, body: value.body };
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value === undefined ? null : value),
  };
}
