/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas (the single source of truth).
 */
import { z } from "zod";
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

export function openApiDocument(): JsonSchema {
  const collector = new ComponentCollector();
  const errorRef = collector.add(HTTPErrorBody, "output");
  const validationRef = collector.add(ValidationErrorBody, "output");
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const contract = route;
    const status = contract.status ?? 200;
    const description = status === 202 ? "Accepted" : "OK";
    const responses: Record<string, unknown> = {
      [status]: contract.response
        ? { description, content: jsonContent(collector.add(contract.response, "output")) }
        : { description, content: { [contract.produces ?? "text/plain"]: { schema: { type: "string" } } } },
      "401": { description: "Missing or wrong credentials (when API auth is configured)", content: jsonContent(errorRef) },
      "500": { description: "Internal error (never carries a stack trace)", content: jsonContent(errorRef) },
    };
    const operation: Record<string, unknown> = { summary: contract.summary, operationId: route.file, responses };
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
    paths,
    components: {
      schemas: collector.components,
      securitySchemes: { basicAuth: { type: "http", scheme: "basic" } },
    },
  };
}
