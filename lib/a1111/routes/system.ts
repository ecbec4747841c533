/** Progress, interrupt, skip, memory, cmd-flags and ping (A1111 modules/api/api.py; docs/a1111-semantics.md). */
import os from "node:os";
import type { ServerFacts } from "./context.ts";
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

export const progress = implement(ROUTE.progress, (_input, ctx) => ctx.services.progress.snapshot());

/** A1111 answers `{}` whether or not anything was running. */
export const interrupt = implement(ROUTE.interrupt, async (_input, ctx) => {
  await ctx.services.progress.interrupt();
  return {};
});

export const skip = implement(ROUTE.skip, async (_input, ctx) => {
  await ctx.services.progress.skip();
  return null;
});

/** A1111 reports the process's RSS as used and the machine's memory as total; there is no CUDA device here. */
export function memoryReport() {
  const total = os.totalmem();
  const used = process.memoryUsage.rss();
  return { ram: { free: total - used, used, total }, cuda: { error: "unavailable" } };
}

export const memory = implement(ROUTE.memory, async () => memoryReport());

/** The A1111 command-line flags that have a Serena equivalent; secrets are never echoed. */
export function commandFlags(server: ServerFacts) {
  return {
    api: true,
    nowebui: true,
    api_auth: server.apiAuth ? "(set)" : null,
    listen: server.host !== "127.0.0.1" && server.host !== "localhost",
    port: server.port,
    cors_allow_origins: server.corsAllowOrigins.join(",") || null,
    api_log: true,
    skip_torch_cuda_test: true,
    no_half: false,
    serena_backend: server.backendName,
  };
}

export const cmdFlags = implement(ROUTE["cmd-flags"], async (_input, ctx) => commandFlags(ctx.services.server));

export const ping = implement(ROUTE.ping, async () => ({}));
