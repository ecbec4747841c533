/**
 * The HTTP API: one function per entry of the route table (lib/a1111/routes/table.ts), so the deployed routes, the local
 * server and the tests are the same list. API Gateway HTTP API (v2 payloads; docs/serverless.md §1.3).
 */
import { ROUTES, routeKey, type RouteDefinition } from "../lib/a1111/routes/table.ts";

/** Node 24 on AL2023: async handlers only, supported until 2028 (docs/serverless.md §4). */
export const NODE_RUNTIME = "nodejs24.x";

/**
 * Every API function reaches sharp (image codecs, png-info, extras and the CI fake import it); SST keeps sharp out
 * of the bundle and installs its linux-x64 build into the package. onnxruntime-node is only in the worker image:
 * the in-process engine is loaded by URL in a worker thread, which the bundler does not follow
 * (test/infra/bundle-graph.test.ts keeps it that way).
 */
export const API_NODE_INSTALL = ["sharp"];

/**
 * The zip functions' esbuild settings. With `splitting`, modules reached only through `import()` (the AWS SDK, sharp's
 * users, the CI fake, the tiny-model generator) go to their own chunks and load on first use; without it esbuild puts
 * them in the one file and hoists their external imports (sharp) to its top, so every route would load them at start.
 * `npm run bench:bundles` measures both (docs/engine.md "Benchmark").
 */
export const API_NODEJS = { install: API_NODE_INSTALL, splitting: true, minify: true } as const;

export interface ApiArgs {
  /** SERENA_* variables of one route's function. */
  environment: (route: RouteDefinition) => Record<string, $util.Input<string>>;
  link: $util.Input<unknown>[];
  permissions: sst.aws.FunctionArgs["permissions"];
  corsAllowOrigins: string[];
  logRetention: "1 week" | "3 months";
}

export function createApi(args: ApiArgs) {
  const methods = [...new Set(ROUTES.map((r) => r.method))];
  const api = new sst.aws.ApiGatewayV2("Api", {
    // When the gateway answers CORS it also ignores the functions' CORS headers (AWS HTTP API CORS docs), so it
    // is configured here or not at all; A1111 without --cors-allow-origins sends none.
    cors:
      args.corsAllowOrigins.length > 0
        ? { allowOrigins: args.corsAllowOrigins, allowMethods: methods, allowHeaders: ["authorization", "content-type"] }
        : false,
    accessLog: { retention: args.logRetention },
  });
  for (const route of ROUTES) {
    api.route(routeKey(route), {
      handler: `functions/${route.file}.handler`,
      runtime: NODE_RUNTIME,
      timeout: `${route.timeout} seconds`,
      memory: `${route.memory} MB`,
      link: args.link,
      permissions: args.permissions,
      environment: args.environment(route),
      // A route may also read files of an npm package at run time (the /docs assets): installed beside its bundle.
      nodejs: { ...API_NODEJS, install: [...API_NODE_INSTALL, ...(route.install ?? [])] },
      logging: { retention: args.logRetention },
    });
  }
  return api;
}
