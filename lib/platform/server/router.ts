/** Finds the route for a method and path in the shared route table and loads its handler module. */
import type { RouteHandler } from "../http/route.ts";
import { ROUTES, type RouteDefinition } from "../../a1111/routes/table.ts";

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function matchPath(template: string, path: string): Record<string, string> | null {
  const t = template.split("/");
  const p = path.split("/");
  if (t.length !== p.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i]!;
    if (seg.startsWith("{") && seg.endsWith("}")) {
      // A malformed escape ("%25" is fine, "%E0%A4%A" is not) names nothing: the path does not match.
      const value = safeDecode(p[i]!);
      if (value === null) return null;
      params[seg.slice(1, -1)] = value;
    } else if (seg !== p[i]) return null;
  }
  return params;
}

export interface RouteMatch {
  route: RouteDefinition;
  pathParameters: Record<string, string>;
}

/**
 * The route for `method` and `path` ("ANY" takes the first route with the path); `"not-found"` when no route has
 * the path, `"method-not-allowed"` when one has it under another method.
 */
export function findRoute(method: string, path: string, routes = ROUTES): RouteMatch | "not-found" | "method-not-allowed" {
  let pathExists = false;
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (!params) continue;
    pathExists = true;
    if (method === "ANY" || route.method === method) return { route, pathParameters: params };
  }
  return pathExists ? "method-not-allowed" : "not-found";
}

const loaded = new Map<string, Promise<RouteHandler>>();

export function loadHandler(route: RouteDefinition): Promise<RouteHandler> {
  let handler = loaded.get(route.file);
  if (!handler) {
    handler = import(new URL(`../../../functions/${route.file}.ts`, import.meta.url).href).then(
      (m: { handler: RouteHandler }) => m.handler,
    );
    loaded.set(route.file, handler);
  }
  return handler;
}
