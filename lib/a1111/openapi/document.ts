/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas (the single source of truth). It
 * passes Redocly's `recommended` ruleset (`npx -y @redocly/cli lint --extends recommended`); docs/api.md lists the
 * warnings that remain and why.
 */
import * as z from "zod";
import { HTTPErrorBody, ValidationErrorBody } from "../schemas/errors.ts";
import { ROUTES } from "../routes/table.ts";
import { SERENA_VERSION } from "../generation/infotext.ts";

type JsonSchema = Record<string, unknown>;

const DEFS = "#/$defs/";
const COMPONENTS = "#/components/schemas/";

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === "$ref" && typeof v === "string" && v.startsWith(DEFS) ? COMPONENTS + v.slice(DEFS.length) : rewriteRefs(v);
    }
    return out;
  }
  return node;
}

/**
 * Schemas become components under their zod ids. Requests are described as clients may send them (zod's "input"
 * view: fields with defaults are optional and unknown keys are not forbidden, as A1111 ignores them), responses as
 * Serena sends them ("output").
 */
class ComponentCollector {
  readonly components: Record<string, JsonSchema> = {};

  add(schema: z.ZodType, io: "input" | "output"): JsonSchema {
    const json = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
    const { $schema: _s, $defs, ...root } = json;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) this.components[id] = rewriteRefs(def) as JsonSchema;
    return rewriteRefs(root) as JsonSchema;
  }
}

const jsonContent = (schema: JsonSchema) => ({ "application/json": { schema } });

function queryParameters(schema: JsonSchema) {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(props).map(([name, s]) => ({ name, in: "query", required: false, schema: s }));
}

/** `{name}` segments of a route path (API Gateway's path parameters). */
const pathParameters = (path: string) =>
  [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1]!, in: "path", required: true, schema: { type: "string" } }));

/** Reason phrases of the success statuses routes declare (RFC 9110 §15). */
const STATUS_TEXT: Readonly<Record<number, string>> = { 200: "OK", 202: "Accepted", 501: "Not Implemented" };

export interface OpenApiOptions {
  /**
   * Whether the server checks Basic credentials (SERENA_API_AUTH), on every route and every path, as A1111's
   * `--api-auth` does for its API: then each operation requires `basicAuth` and may answer 401; otherwise each has
   * `security: []` (public). No route is exempt from the check.
   */
  readonly apiAuth: boolean;
}

/** Operation groups by path prefix, in the order Swagger UI shows them. */
const TAGS = [
  { name: "sdapi", prefix: "/sdapi/", description: "The AUTOMATIC1111 v1.10.1 API" },
  { name: "jobs", prefix: "/serena/", description: "Serena's asynchronous generation jobs" },
  { name: "internal", prefix: "/internal/", description: "A1111's internal routes: liveness and system information" },
  { name: "docs", prefix: "/", description: "This document and the page that renders it" },
] as const;

const tagOf = (path: string) => TAGS.find((t) => path.startsWith(t.prefix))!.name;

export function openApiDocument(options: OpenApiOptions = { apiAuth: false }): JsonSchema {
  const collector = new ComponentCollector();
  const errorRef = collector.add(HTTPErrorBody, "output");
  const validationRef = collector.add(ValidationErrorBody, "output");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const contract = route;
    const status = contract.status ?? 200;
    const description = STATUS_TEXT[status] ?? "OK";
    const responses: Record<string, unknown> = {
      [status]: contract.response
        ? { description, content: jsonContent(collector.add(contract.response, "output")) }
        : { description, content: { [contract.produces ?? "text/plain"]: { schema: { type: "string" } } } },
      ...(options.apiAuth ? { "401": { description: "Missing or wrong credentials", content: jsonContent(errorRef) } } : {}),
      "500": { description: "Internal error (never carries a stack trace)", content: jsonContent(errorRef) },
    };
    const operation: Record<string, unknown> = {
      summary: contract.summary,
      operationId: route.file,
      tags: [tagOf(route.path)],
      security: options.apiAuth ? [{ basicAuth: [] }] : [],
      responses,
    };
    if (contract.body) {
      operation.requestBody = { required: true, content: jsonContent(collector.add(contract.body, "input")) };
      responses["413"] = { description: "Body larger than the configured limit", content: jsonContent(errorRef) };
    }
    const parameters = [...pathParameters(route.path), ...(contract.query ? queryParameters(collector.add(contract.query, "input")) : [])];
    if (parameters.length > 0) operation.parameters = parameters;
    if (parameters.some((p) => p.in === "path")) responses["404"] = { description: "No such resource", content: jsonContent(errorRef) };
    if (contract.body || contract.query) responses["422"] = { description: "Validation error", content: jsonContent(validationRef) };
    if (contract.generation) {
      responses["503"] = { description: "No inference backend is configured or reachable", content: jsonContent(errorRef) };
    }
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Serena",
      version: SERENA_VERSION,
      description: "AUTOMATIC1111-compatible Stable Diffusion API (`/sdapi/v1`) on serverless functions.",
    },
    // Relative to the document's own URL: the server that served it, whatever its origin or path prefix.
    servers: [{ url: "/", description: "The server that serves this document" }],
    ...(options.apiAuth ? { security: [{ basicAuth: [] }] } : {}),
    tags: TAGS.map(({ name, description }) => ({ name, description })),
    paths,
    components: {
      schemas: collector.components,
      ...(options.apiAuth
        ? { securitySchemes: { basicAuth: { type: "http", scheme: "basic", description: "A user:password pair of SERENA_API_AUTH (A1111's --api-auth)" } } }
        : {}),
    },
  };
}
