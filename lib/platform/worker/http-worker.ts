/**
 * The inference worker's HTTP server started from a configuration: its dependencies (the model, downloaded first
 * when it lives in S3), the server on HOST:PORT, and a stop that lets running invocations finish. `npm run worker`
 * (http-main.ts) and the local stack (scripts/stack.ts) both start it this way.
 */
import type { Config } from "../config.ts";
import type { Logger } from "../runtime/logger.ts";
import { listen } from "../server/server.ts";
import { createWorkerDeps } from "./deps.ts";
import { createWorkerServer } from "./http-server.ts";

export interface HttpWorker {
  url: string;
  host: string;
  port: number;
  /** Stops accepting connections, waits for the invocations in flight, then frees the engine. */
  stop(): Promise<void>;
}

/** Hosts that only this machine can reach. */
const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export async function startHttpWorker(config: Config, logger: Logger): Promise<HttpWorker> {
  const deps = await createWorkerDeps(config, logger);
  const token = config.worker.token;
  const server = createWorkerServer(deps, { token, maxBodyBytes: config.maxBodyBytes, logger });
  const { host, port } = await listen(server, config.host, config.port);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info("inference worker listening", { url, auth: token ? "bearer" : "none" });
  if (!token && !LOOPBACK.has(host)) {
    logger.warn("SERENA_WORKER_TOKEN is not set: /invocations accepts requests from anyone who can reach this host");
  }
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }).then(() => deps.backend.close?.()));
  return { url, host, port, stop };
}
