/**
 * The API, called in this process: a request becomes the same API Gateway event the local server builds
 * (lib/platform/server/event-builder.ts) and goes to the route's Lambda handler from functions/, through the whole
 * HTTP stack (body parsing, zod validation, the CI fake, error mapping). The CLI therefore validates, generates and
 * fails exactly as the API does; it has no rules of its own.
 */
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import type { HttpResult } from "../http/event.ts";
import type { Services } from "../runtime/services.ts";
import { buildEventV2 } from "../server/event-builder.ts";
import { findRoute, loadHandler } from "../server/router.ts";

export interface ApiReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body, or the text for other content types. */
  readonly body: unknown;
}

function lambdaContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: "serena-cli",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:serena-cli",
    memoryLimitInMB: "0",
    awsRequestId: requestId,
    logGroupName: "local",
    logStreamName: "local",
    // No gateway stands in front of the CLI: a generation may take as long as it takes.
    getRemainingTimeInMillis: () => 24 * 60 * 60 * 1000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function replyOf(result: HttpResult): ApiReply {
  const text = result.body === undefined ? "" : Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8").toString("utf8");
  const json = /^application\/json/.test(result.headers["content-type"] ?? "");
  return { status: result.statusCode, headers: result.headers, body: json && text ? JSON.parse(text) : text };
}

/** Calls routes of the route table with `services`, as the local server would for an HTTP request. */
export function inProcessApi(services: Services) {
  return {
    async request(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiReply> {
      const match = findRoute(method, path);
      if (typeof match === "string") throw new Error(`no route for ${method} ${path}`);
      const handler = (await loadHandler(match.route)).withServices(services);
      const requestId = randomUUID();
      const event = buildEventV2({
        method,
        url: path,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? null : JSON.stringify(body),
        requestId,
        pathParameters: match.pathParameters,
        routeKey: `${match.route.method} ${match.route.path}`,
      });
      return replyOf(await handler(event, lambdaContext(requestId)));
    },
  };
}

interface ValidationIssue {
  loc?: (string | number)[];
  msg?: string;
}

/**
 * The message of an error reply, as a client of the API reads it: FastAPI's validation list as "field: message"
 * (the `body` prefix of each location dropped), A1111's `{error, detail}` by its detail.
 */
export function errorMessage(reply: ApiReply, fieldLabel: (field: string) => string = (f) => f): string {
  const detail = (reply.body as { detail?: unknown } | null)?.detail;
  if (Array.isArray(detail)) {
    return (detail as ValidationIssue[])
      .map((issue) => {
        const loc = (issue.loc ?? []).filter((part, i) => !(i === 0 && part === "body")).join(".");
        return loc ? `${fieldLabel(loc)}: ${issue.msg ?? "invalid"}` : (issue.msg ?? "invalid");
      })
      .join("; ");
  }
  if (typeof detail === "string") return detail;
  return typeof reply.body === "string" && reply.body ? reply.body : `HTTP ${reply.status}`;
}
