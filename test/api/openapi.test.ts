/** /openapi.json and /docs, generated from the route table and the zod contracts. */
import { describe, expect, it } from "vitest";
import { ROUTES } from "../../lib/a1111/routes/table.ts";
import { apiClient } from "../fixtures/api.ts";
import { ciServices } from "../fixtures/services.ts";

const client = apiClient(ciServices());

interface Operation {
  operationId: string;
  summary: string;
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  parameters?: Array<{ name: string; in: string }>;
  responses: Record<string, unknown>;
}

async function openapi() {
  const reply = await client.get("/openapi.json");
  expect(reply.status).toBe(200);
  return reply.json() as { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Record<string, unknown>> } };
}

const resolve = (doc: Awaited<ReturnType<typeof openapi>>, schema: Record<string, unknown>) => {
  const ref = schema.$ref as string | undefined;
  return ref ? doc.components.schemas[ref.replace("#/components/schemas/", "")]! : schema;
};

describe("/openapi.json", () => {
  it("is OpenAPI 3.1 with one operation per route in ROUTES", async () => {
    const doc = await openapi();
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of ROUTES) {
      const op = doc.paths[route.path]![route.method.toLowerCase()]!;
      expect(op.operationId).toBe(route.file);
      expect(op.summary).toBe(route.summary);
      expect(op.responses).toHaveProperty(String(route.status ?? 200));
    }
  });

  it("describes request bodies as clients send them: every field optional, with A1111's defaults", async () => {
    const doc = await openapi();
    const body = resolve(doc, doc.paths["/sdapi/v1/txt2img"]!.post!.requestBody!.content["application/json"]!.schema);
    const properties = body.properties as Record<string, { default?: unknown }>;
    expect(body.required ?? []).toEqual([]);
    expect(properties.steps!.default).toBe(50);
    expect(properties.sampler_index!.default).toBe("Euler");
    expect(properties.send_images!.default).toBe(true);
  });

  it("documents 422 for routes with input and 503 for generation routes", async () => {
    const doc = await openapi();
    expect(doc.paths["/sdapi/v1/txt2img"]!.post!.responses).toHaveProperty("422");
    expect(doc.paths["/sdapi/v1/txt2img"]!.post!.responses).toHaveProperty("503");
    expect(doc.paths["/sdapi/v1/samplers"]!.get!.responses).not.toHaveProperty("422");
    expect(doc.paths["/sdapi/v1/progress"]!.get!.parameters).toEqual([expect.objectContaining({ name: "skip_current_image", in: "query" })]);
  });

  it("resolves every $ref to a component", async () => {
    const doc = await openapi();
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const name = ref.slice(8, -1).replace("#/components/schemas/", "");
      expect(doc.components.schemas, ref).toHaveProperty(name);
    }
  });
});

describe("/docs", () => {
  // The page as a browser renders it: test/api/docs-page.test.ts.
  it("is an HTML page that loads Swagger UI from Serena's own assets and points at openapi.json", async () => {
    const reply = await client.get("/docs");
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(reply.text).toMatch(/^<!doctype html>/);
    expect(reply.text).toMatch(/<script src="docs\/assets\/swagger-ui-bundle\.js\?v=[^"]+"><\/script>/);
    expect(reply.text).toContain('href="openapi.json"');
  });
});
