/** Progress, interrupt, skip, memory, cmd-flags, ping and sysinfo (A1111 modules/api/api.py, modules/ui.py; docs/a1111-semantics.md). */
import { createHash } from "node:crypto";
import os from "node:os";
import { SERENA_VERSION } from "../generation/infotext.ts";
import type { ServerFacts } from "./context.ts";
import { implement, routeResult } from "./route.ts";
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

/**
 * A1111's placeholder for the checksum (modules/sysinfo.py `checksum_token`): the text is hashed with it in place, then
 * the hash replaces it, so A1111's `sysinfo.check()` accepts an unedited file.
 */
const CHECKSUM_TOKEN = "DontStealMyGamePlz__WINNERS_DONT_USE_DRUGS__DONT_COPY_THAT_FLOPPY";

/** modules/sysinfo.py `pretty_bytes`: 1024-based units, no decimals ("16GB"). */
export function prettyBytes(bytes: number): string {
  let n = bytes;
  for (const unit of ["", "K", "M", "G", "T", "P", "E", "Z"]) {
    if (Math.abs(n) < 1024) return `${n.toFixed(0)}${unit}B`;
    n /= 1024;
  }
  return `${n.toFixed(0)}YB`;
}

/**
 * modules/sysinfo.py `get_dict` with Serena's answers: the same keys in the same order, `null` or empty where the
 * item has no Serena counterpart (Python, torch, extensions, a git checkout), plus what Serena runs on.
 */
export function sysinfoText(server: ServerFacts, config: unknown): string {
  const total = os.totalmem();
  const free = os.freemem();
  const info = {
    Platform: `${os.type()}-${os.release()}-${os.machine()}`,
    Python: null,
    Version: SERENA_VERSION,
    Commit: null,
    "Script path": null,
    "Data path": null,
    "Extensions dir": null,
    Checksum: CHECKSUM_TOKEN,
    Commandline: [],
    "Torch env info": "Serena does not use torch: it runs ONNX models with onnxruntime-node",
    Exceptions: [],
    CPU: { model: os.cpus()[0]?.model ?? "", "count logical": os.availableParallelism() },
    RAM: { total: prettyBytes(total), used: prettyBytes(total - free), free: prettyBytes(free) },
    Extensions: [],
    "Inactive extensions": [],
    Environment: {},
    Config: config,
    Startup: {},
    Packages: [],
    Serena: { node: process.versions.node, backend: server.backendName },
  };
  // json.dumps(res, ensure_ascii=False, indent=4): the same layout as JSON.stringify with 4 spaces.
  const text = JSON.stringify(info, null, 4);
  const checksum = createHash("sha256").update(text, "utf8").digest("hex");
  return text.replace(CHECKSUM_TOKEN, checksum);
}

/** `GET /internal/sysinfo`: the JSON text as plain text, shown inline, named like A1111's download. */
export const sysinfo = implement(ROUTE.sysinfo, async (_input, ctx) => {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[T:]/g, "-");
  return routeResult(200, sysinfoText(ctx.services.server, await ctx.services.options.get()), {
    "content-type": "text/plain; charset=utf-8",
    "content-disposition": `inline; filename="sysinfo-${stamp}.json"`,
  });
});
