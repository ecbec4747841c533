/**
 * What `/openapi.json` says about where and how to call the API: `servers`, and `security` on every operation that
 * matches the server's Basic auth setting (SERENA_API_AUTH checks every route, none is public), plus the structure
 * Redocly's `recommended` rules check (`npx -y @redocly/cli lint --extends recommended`, docs/api.md): unique
 * operation ids, defined tags and security schemes, a success response on every route that can succeed.
 */
import { describe, expect, it } from "vitest";
import { ROUTES } from "../../lib/a1111/routes/table.ts";
import { apiClient } from "../fixtures/api.ts";
import { ciServices } from "../fixtures/services.ts";

interface Operation {
  operationId: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  responses: Record<string, { description: string }>;
}
interface Document {
  servers: Array<{ url: string }>;
  security?: Array<Record<string, string[]>>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes?: Record<string, { type: string; scheme: string }> };
}

const AUTH = "Basic " + Buffer.from("alice:secret").toString("base64");

async function documentFor(apiAuth: boolean): Promise<Document> {
  const env: Record<string, string> = apiAuth ? { SERENA_API_AUTH: "alice:secret" } : {};
  const reply = await apiClient(ciServices(env)).get("/openapi.json", apiAuth ? { headers: { authorization: AUTH } } : {});
  expect(reply.status).toBe(200);
  return reply.json() as Document;
}

const operations = (doc: Document) => Object.values(doc.paths).flatMap((methods) => Object.values(methods));

describe("servers", () => {
  it("names the server that served the document, relative to it", async () => {
    expect((await documentFor(false)).servers).toEqual([{ url: "/", description: expect.any(String) }]);
  });
});

describe("security", () => {
  it("with Basic auth configured, every operation requires basicAuth and documents the 401", async () => {
    const doc = await documentFor(true);
    expect(doc.components.securitySchemes).toEqual({ basicAuth: expect.objectContaining({ type: "http", scheme: "basic" }) });
    expect(doc.security).toEqual([{ basicAuth: [] }]);
    expect(operations(doc)).toHaveLength(ROUTES.length);
    for (const op of operations(doc)) {
      expect(op.security, op.operationId).toEqual([{ basicAuth: [] }]);
      expect(op.responses, op.operationId).toHaveProperty("401");
    }
  });

  it("without it, every operation is public and no 401 is promised", async () => {
    const doc = await documentFor(false);
    expect(doc.components.securitySchemes).toBeUndefined();
    for (const op of operations(doc)) {
      expect(op.security, op.operationId).toEqual([]);
      expect(op.responses, op.operationId).not.toHaveProperty("401");
    }
  });
});

describe("structure Redocly's recommended rules check", () => {
  it("operation ids are unique and every tag used is declared", async () => {
    const doc = await documentFor(true);
    const ids = operations(doc).map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const declared = new Set(doc.tags.map((t) => t.name));
    for (const op of operations(doc)) for (const tag of op.tags) expect(declared, op.operationId).toContain(tag);
  });

  it("every route has a 2xx answer except the 501-only routes, whose one answer says Not Implemented", async () => {
    const doc = await documentFor(false);
    for (const route of ROUTES) {
      const op = doc.paths[route.path]![route.method.toLowerCase()]!;
      const statuses = Object.keys(op.responses);
      if (route.status === 501) {
        expect(statuses.filter((s) => s.startsWith("2")), route.path).toEqual([]);
        expect(op.responses["501"]!.description).toBe("Not Implemented");
      } else {
        expect(statuses.some((s) => s.startsWith("2")), route.path).toBe(true);
      }
    }
  });
});
