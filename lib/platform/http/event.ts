/**
 * API Gateway events as the handlers receive them: HTTP API payload 2.0 (what SST wires) and REST (v1) proxy
 * events. These accessors read either shape; middy's normalizers fill in missing header/query objects.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export type HttpEvent = APIGatewayProxyEventV2 | APIGatewayProxyEvent;
export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

const isV2 = (event: HttpEvent): event is APIGatewayProxyEventV2 => "rawPath" in event || (event as { version?: string }).version === "2.0";

export function eventMethod(event: HttpEvent): string {
  return (isV2(event) ? event.requestContext.http.method : event.httpMethod).toUpperCase();
}

export function eventPath(event: HttpEvent): string {
  return isV2(event) ? event.rawPath : event.path;
}

export function eventRequestId(event: HttpEvent): string | undefined {
  return event.requestContext?.requestId;
}

export function eventHeaders(event: HttpEvent): Record<string, string | undefined> {
  return (event.headers ?? {}) as Record<string, string | undefined>;
}

export function eventQuery(event: HttpEvent): Record<string, string | undefined> {
  return (event.queryStringParameters ?? {}) as Record<string, string | undefined>;
}

export function eventPathParameters(event: HttpEvent): Record<string, string | undefined> {
  return (event.pathParameters ?? {}) as Record<string, string | undefined>;
}

/** The raw body bytes, decoding API Gateway's base64 transport encoding. */
export function eventBodyBytes(event: HttpEvent): Buffer | null {
  if (event.body === undefined || event.body === null) return null;
  return Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
}

/** Body size in bytes without decoding it. */
export function eventBodySize(event: HttpEvent): number {
  if (!event.body) return 0;
  if (!event.isBase64Encoded) return Buffer.byteLength(event.body, "utf8");
  const padding = event.body.endsWith("==") ? 2 : event.body.endsWith("=") ? 1 : 0;
  return Math.floor((event.body.length * 3) / 4) - padding;
}
