/**
 * API Gateway HTTP API (payload format 2.0) events from plain request parts, as AWS builds them
 * (docs/serverless.md §6): lower-case headers with repeated values comma-joined, cookies split out, query keys
 * comma-joined, the body as UTF-8 text for textual content types and base64 otherwise. The local server and the
 * tests share it, so both speak exactly what the deployed functions receive.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { randomUUID } from "node:crypto";

export interface RequestParts {
  method: string;
  /** Path with optional query string, e.g. "/sdapi/v1/progress?skip_current_image=true". */
  url: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer | string | null;
  sourceIp?: string;
  pathParameters?: Record<string, string>;
  routeKey?: string;
  /** API Gateway's request id; a fresh one when absent. */
  requestId?: string;
}

const TEXTUAL = /^(text\/|application\/(json|.*\+json|x-www-form-urlencoded|xml))/i;

export function buildEventV2(parts: RequestParts): APIGatewayProxyEventV2 {
  const [rawPath = "/", rawQueryString = ""] = parts.url.split("?", 2);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parts.headers ?? {})) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const cookies = headers.cookie?.split(";").map((c) => c.trim()).filter(Boolean);
  delete headers.cookie;

  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) query[key] = key in query ? `${query[key]},${value}` : value;

  const bytes = parts.body === undefined || parts.body === null ? null : Buffer.isBuffer(parts.body) ? parts.body : Buffer.from(parts.body);
  const textual = TEXTUAL.test(headers["content-type"] ?? "application/json");
  const now = new Date();
  const method = parts.method.toUpperCase();
  return {
    version: "2.0",
    routeKey: parts.routeKey ?? `${method} ${rawPath}`,
    rawPath,
    rawQueryString,
    cookies,
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? query : undefined,
    pathParameters: parts.pathParameters,
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "localhost",
      http: {
        method,
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: parts.sourceIp ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: parts.requestId ?? randomUUID(),
      routeKey: parts.routeKey ?? `${method} ${rawPath}`,
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: bytes && bytes.length > 0 ? bytes.toString(textual ? "utf8" : "base64") : undefined,
    isBase64Encoded: Boolean(bytes && bytes.length > 0 && !textual),
  };
}
