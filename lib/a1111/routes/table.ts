/**
 * Every HTTP route, as plain data shared by sst.config.ts (one function per route), the local server and the
 * tests, so a route cannot exist in one and not the others. `file` is the handler module under functions/,
 * exporting `handler`.
 */
export interface RouteDefinition {
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  readonly file: string;
  /** Function timeout in seconds; HTTP API integrations stop at 30 s. */
  readonly timeout: number;
  /** Function memory in MB. */
  readonly memory: number;
}

const api = (method: RouteDefinition["method"], path: string, file: string, timeout = 10, memory = 512): RouteDefinition => ({
  method,
  path,
  file,
  timeout,
  memory,
});

export const ROUTES: readonly RouteDefinition[] = [
  api("POST", "/sdapi/v1/txt2img", "txt2img", 29, 1024),
  api("POST", "/sdapi/v1/img2img", "img2img", 29, 1024),
  api("POST", "/sdapi/v1/png-info", "png-info", 10, 1024),
  api("POST", "/sdapi/v1/extra-single-image", "extra-single-image", 29, 2048),
  api("POST", "/sdapi/v1/extra-batch-images", "extra-batch-images", 29, 2048),
  api("GET", "/sdapi/v1/progress", "progress"),
  api("POST", "/sdapi/v1/interrupt", "interrupt"),
  api("POST", "/sdapi/v1/skip", "skip"),
  // Options and models ask the inference tier for its model list, which on a cold worker includes loading (or
  // downloading) the model: these get the gateway's whole 29 s.
  api("GET", "/sdapi/v1/options", "options-get", 29),
  api("POST", "/sdapi/v1/options", "options-set", 29),
  api("GET", "/sdapi/v1/cmd-flags", "cmd-flags"),
  api("GET", "/sdapi/v1/samplers", "samplers"),
  api("GET", "/sdapi/v1/schedulers", "schedulers"),
  api("GET", "/sdapi/v1/upscalers", "upscalers"),
  api("GET", "/sdapi/v1/latent-upscale-modes", "latent-upscale-modes"),
  api("GET", "/sdapi/v1/sd-models", "sd-models", 29),
  api("POST", "/sdapi/v1/refresh-checkpoints", "refresh-checkpoints"),
  api("GET", "/sdapi/v1/sd-vae", "sd-vae"),
  api("GET", "/sdapi/v1/prompt-styles", "prompt-styles"),
  api("GET", "/sdapi/v1/embeddings", "embeddings"),
  api("GET", "/sdapi/v1/scripts", "scripts"),
  api("GET", "/sdapi/v1/loras", "loras"),
  api("GET", "/sdapi/v1/memory", "memory"),
  api("GET", "/internal/ping", "ping"),
  api("GET", "/openapi.json", "openapi"),
  api("GET", "/docs", "docs"),
  api("POST", "/serena/v1/jobs", "jobs-create", 10, 1024),
  api("GET", "/serena/v1/jobs/{id}", "jobs-get"),
  api("DELETE", "/serena/v1/jobs/{id}", "jobs-cancel"),
];

export const routeKey = (r: Pick<RouteDefinition, "method" | "path">) => `${r.method} ${r.path}`;
