/**
 * `npm run worker`: the inference worker's HTTP server (http-server.ts) for a GPU host or any machine with the model.
 *
 * Environment (docs/configuration.md): the engine's settings as for `npm start` (SERENA_MODEL_DIR, SERENA_MODELS_ROOT,
 * SERENA_MODEL_S3_URI, SERENA_ORT_THREADS, SERENA_BUCKET...), plus
 * - PORT: 8080 unless set (SageMaker's port for inference containers);
 * - HOST: 127.0.0.1 unless set, so a worker started by hand is not reachable from the network; the container image
 *   sets HOST=0.0.0.0 (infra/worker.Dockerfile);
 * - SERENA_WORKER_TOKEN: the bearer token callers must send; unset leaves /invocations open, which suits loopback and
 *   SageMaker (whose endpoints do not forward an Authorization header) and is logged as a warning otherwise;
 * - SERENA_MAX_BODY_BYTES: the largest request body.
 * SIGTERM and SIGINT stop accepting connections, let running invocations finish, then exit.
 */
import { startWithAllocatorSettings } from "../runtime/allocator.ts";

// Before anything else loads: the process may start itself again with the malloc settings (../runtime/allocator.ts).
startWithAllocatorSettings();
const { parseConfig } = await import("../config.ts");
const { createLogger } = await import("../runtime/logger.ts");
const { startHttpWorker } = await import("./http-worker.ts");

const config = parseConfig({ PORT: "8080", ...process.env });
const logger = createLogger(config);
const worker = await startHttpWorker(config, logger);

function stop(signal: string) {
  logger.info("stopping", { signal });
  void worker.stop().finally(() => process.exit(0));
}
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
