/** /sdapi/v1/memory and /sdapi/v1/cmd-flags for a serverless process (a1111-api.md §9.11, §9.12). */
import os from "node:os";
import type { Config } from "../../platform/config.ts";

/** A1111 reports the process's RSS as used and the machine's memory as total; there is no CUDA device here. */
export function memoryReport() {
  const total = os.totalmem();
  const used = process.memoryUsage.rss();
  return { ram: { free: total - used, used, total }, cuda: { error: "unavailable" } };
}

/** The A1111 command-line flags that have a Serena equivalent; secrets are never echoed. */
export function commandFlags(config: Config) {
  return {
    api: true,
    nowebui: true,
    api_auth: config.apiAuth ? "(set)" : null,
    listen: config.host !== "127.0.0.1" && config.host !== "localhost",
    port: config.port,
    cors_allow_origins: config.corsAllowOrigins.join(",") || null,
    api_log: true,
    skip_torch_cuda_test: true,
    no_half: false,
    serena_backend: config.backend,
  };
}
