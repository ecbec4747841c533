/**
 * `npm run stack`: the deployed architecture on one machine, in one process (docs/deploying.md, "Locally, the same
 * stack"):
 *
 * 1. an S3-compatible server (fauxqs, objects in memory) on 127.0.0.1 only, with the bucket `serena-local`;
 * 2. the model uploaded to it as `npm run upload-model` does (every file, then serena-manifest.json): the folder
 *    `--model-dir` or SERENA_MODEL_DIR names, or the generated tiny model, under `models/<folder name>/`; the
 *    worker downloads it from there and lists it under that name, which `sd_model_checkpoint` accepts;
 * 3. the inference worker (`npm run worker`'s server, lib/platform/worker/http-worker.ts) with a random bearer token;
 * 4. the API (`npm start`'s server) with SERENA_BACKEND=http pointing at that worker, images and async jobs in the
 *    bucket, jobs run in this process.
 *
 * Every server listens on 127.0.0.1 on a port the system hands out (the API on `--port` when given). Once up, the
 * addresses and the environment a client needs are printed and written to `--write-env` (default
 * `.cache/stack.env`, for `. ./.cache/stack.env`). SIGINT (Ctrl-C) or SIGTERM, or the end of the parent process
 * (`npm run` killed), stops everything and exits 0; the servers are in this process, so nothing is left running.
 */
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import type http from "node:http";
import net from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildApp } from "fauxqs";
import { ensureTinyModel } from "../lib/engine/tiny-model/index.ts";
import { parseConfig, type Config } from "../lib/platform/config.ts";
import { DEFAULT_TINY_VARIANT } from "../lib/platform/inference/local/model-catalog.ts";
import { createLogger } from "../lib/platform/runtime/logger.ts";
import { createServices, type Services } from "../lib/platform/runtime/services.ts";
import { createServer, listen } from "../lib/platform/server/server.ts";
import { uploadModelFolder } from "../lib/platform/storage/model-upload.ts";
import { createS3Client, createStorage } from "../lib/platform/storage/s3-storage.ts";
import { startHttpWorker, type HttpWorker } from "../lib/platform/worker/http-worker.ts";

const HELP = `Usage: npm run stack -- [--port N] [--model-dir DIR] [--write-env FILE]

Starts an S3-compatible server, uploads a model to it, and runs the inference worker and the API in front of it,
all on 127.0.0.1. Ctrl-C stops everything.

  --port N         the API's port (default: a free one)
  --model-dir DIR  the model folder to upload (default: SERENA_MODEL_DIR, else the generated tiny model)
  --write-env FILE where to write the client environment (default: .cache/stack.env)
`;

const HOST = "127.0.0.1";
const BUCKET = "serena-local";
const REGION = "us-east-1";
/** fauxqs checks no signature; these keep the SDK from looking for real credentials. */
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "serena-local", AWS_SECRET_ACCESS_KEY: "serena-local" };
/** How long a stop may take before the process exits anyway. */
const STOP_TIMEOUT_MS = 10_000;

/** Settings the stack decides; inherited values for them would point a server somewhere else. */
const OWNED_VARIABLES = [
  "HOST",
  "PORT",
  "CI",
  "SERENA_BACKEND",
  "SERENA_BUCKET",
  "SERENA_S3_ENDPOINT",
  "SERENA_S3_REGION",
  "SERENA_MODEL_DIR",
  "SERENA_MODELS_ROOT",
  "SERENA_MODEL_S3_URI",
  "SERENA_WORKER_URL",
  "SERENA_WORKER_TOKEN",
  "SERENA_WORKER_FUNCTION",
  "SERENA_LAMBDA_ENDPOINT",
  "SERENA_JOB_RUNNER_FUNCTION",
];

function fail(message: string, code = 2): never {
  console.error(`npm run stack: ${message}`);
  process.exit(code);
}

function parseFlags() {
  try {
    const { values } = parseArgs({
      options: { port: { type: "string" }, "model-dir": { type: "string" }, "write-env": { type: "string" }, help: { type: "boolean" } },
    });
    if (values.help) {
      console.log(HELP);
      process.exit(0);
    }
    const port = values.port === undefined ? null : Number(values.port);
    if (port !== null && !(Number.isInteger(port) && port > 0 && port < 65536)) fail(`--port must be a port number, got '${values.port}'`);
    return { port, modelDir: values["model-dir"] ?? null, envFile: values["write-env"] ?? path.join(".cache", "stack.env") };
  } catch (error) {
    fail(`${(error as Error).message}\n\n${HELP}`);
  }
}

/** The folder name a model is uploaded under: letters, digits, '.', '_', '-', starting with a letter or digit. */
function uploadName(modelDir: string): string {
  const name = path.basename(path.resolve(modelDir)).replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return name || "model";
}

/** A port nobody listens on now, from the system (port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 3000).unref();
  });
}

const flags = parseFlags();
// The client environment points the AWS SDK at fauxqs: no real credentials may leak into a request signed for it.
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;
Object.assign(process.env, CREDENTIALS);

const inherited: NodeJS.ProcessEnv = { ...process.env };
for (const name of OWNED_VARIABLES) delete inherited[name];
const logLevel = parseConfig(inherited).logLevel;
const logger = createLogger({ logLevel }).createChild({ persistentKeys: { component: "stack" } });

const stops: (() => Promise<void>)[] = [];
let stopping = false;
async function stopAll(signal: string, code: number): Promise<never> {
  if (stopping) process.exit(code || 1);
  stopping = true;
  logger.info("stopping", { signal });
  setTimeout(() => {
    logger.error("stop took too long; exiting anyway", { ms: STOP_TIMEOUT_MS });
    process.exit(1);
  }, STOP_TIMEOUT_MS).unref();
  for (const stop of stops.reverse()) await stop().catch((error: unknown) => logger.warn("stop failed", { error: String(error) }));
  process.exit(code);
}
process.on("SIGINT", () => void stopAll("SIGINT", 0));
process.on("SIGTERM", () => void stopAll("SIGTERM", 0));
// `npm run` starts this under `sh -c`, which does not pass a SIGTERM sent to npm on; when the parent goes away this
// process is re-parented, and it stops rather than stay behind as an orphan.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stopAll("parent exited", 0);
}, 500).unref();

async function startS3(): Promise<string> {
  const app = buildApp({ logger: false, defaultRegion: REGION });
  const address = await app.listen({ port: 0, host: HOST });
  stops.push(() => app.close());
  const endpoint = `http://${HOST}:${new URL(address).port}`;
  await createS3Client({ endpoint, region: REGION }).send(new CreateBucketCommand({ Bucket: BUCKET }));
  return endpoint;
}

async function uploadModel(storageConfig: Config["storage"], cacheDir: string): Promise<{ name: string; uri: string }> {
  const chosen = flags.modelDir ?? process.env.SERENA_MODEL_DIR ?? null;
  const modelDir = chosen ? path.resolve(chosen) : await ensureTinyModel(cacheDir, DEFAULT_TINY_VARIANT);
  if (!existsSync(path.join(modelDir, "model_index.json"))) {
    throw new Error(`${modelDir} has no model_index.json; expected a diffusers ONNX export (docs/models.md)`);
  }
  const name = uploadName(modelDir);
  const prefix = `models/${name}/`;
  const started = performance.now();
  const manifest = await uploadModelFolder(createStorage(storageConfig)!, prefix, modelDir);
  const files = Object.values(manifest.files);
  const uri = `s3://${BUCKET}/${prefix}`;
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  logger.info("model uploaded", { from: modelDir, to: uri, files: files.length, bytes, ms: Math.round(performance.now() - started) });
  return { name, uri };
}

async function startWorker(env: NodeJS.ProcessEnv, modelUri: string): Promise<HttpWorker> {
  const config = parseConfig({ ...env, SERENA_MODEL_S3_URI: modelUri, PORT: "0" });
  const worker = await startHttpWorker(config, createLogger(config).createChild({ persistentKeys: { component: "worker" } }));
  stops.push(() => worker.stop());
  return worker;
}

/** The API on `--port`, or on a free port (probed again if another process takes it first). */
async function startApi(env: NodeJS.ProcessEnv): Promise<{ url: string; services: Services }> {
  for (let attempt = 1; ; attempt++) {
    const port = flags.port ?? (await freePort());
    const config = parseConfig({ ...env, SERENA_BACKEND: "http", PORT: String(port) });
    const services = createServices(config, { logger: createLogger(config).createChild({ persistentKeys: { component: "api" } }) });
    const server = createServer(services);
    try {
      await listen(server, HOST, port);
    } catch (error) {
      const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
      if (inUse && flags.port !== null) throw new Error(`port ${port} is in use; choose another with --port, or leave it out for a free one`, { cause: error });
      if (inUse && attempt < 5) continue;
      throw error;
    }
    stops.push(async () => {
      await closeServer(server);
      await services.backend.close?.();
    });
    return { url: `http://${HOST}:${port}`, services };
  }
}

function clientEnvironment(urls: { api: string; worker: string; s3: string }, token: string): string[] {
  return [
    `export SERENA_API_URL=${urls.api}`,
    `export SERENA_S3_ENDPOINT=${urls.s3} SERENA_S3_REGION=${REGION} SERENA_BUCKET=${BUCKET}`,
    `export AWS_ACCESS_KEY_ID=${CREDENTIALS.AWS_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY=${CREDENTIALS.AWS_SECRET_ACCESS_KEY}`,
    `export SERENA_WORKER_URL=${urls.worker} SERENA_WORKER_TOKEN=${token}`,
  ];
}

try {
  const s3 = await startS3();
  const token = randomBytes(16).toString("hex");
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    HOST,
    SERENA_BUCKET: BUCKET,
    SERENA_S3_ENDPOINT: s3,
    SERENA_S3_REGION: REGION,
    SERENA_WORKER_TOKEN: token,
  };
  const base = parseConfig(env);
  const model = await uploadModel(base.storage, base.cacheDir);
  const worker = await startWorker(env, model.uri);
  const api = await startApi({ ...env, SERENA_WORKER_URL: worker.url });
  const [checkpoint] = await api.services.backend.listModels();
  const lines = clientEnvironment({ api: api.url, worker: worker.url, s3 }, token);
  await mkdir(path.dirname(path.resolve(flags.envFile)), { recursive: true });
  await writeFile(flags.envFile, `# npm run stack (pid ${process.pid}); valid while it runs\n${lines.join("\n")}\n`);
  stops.unshift(() => rm(flags.envFile, { force: true }));
  // `.` looks a bare name up in PATH, so a relative file is named from the current folder.
  const sourceable = path.isAbsolute(flags.envFile) || /^\.\.?\//.test(flags.envFile) ? flags.envFile : `./${flags.envFile}`;
  console.log(
    [
      "",
      "Serena local stack (Ctrl-C stops it)",
      `  API     ${api.url}   SERENA_BACKEND=http`,
      `  worker  ${worker.url}   bearer token in the env file`,
      `  S3      ${s3}   bucket ${BUCKET}, objects in memory`,
      `  model   ${checkpoint?.model_name ?? "none"} (${checkpoint?.title ?? "not listed"}) from ${model.uri}`,
      "",
      `Client environment, also in ${flags.envFile} (. ${sourceable}):`,
      ...lines.map((line) => `  ${line}`),
      "",
    ].join("\n"),
  );
} catch (error) {
  logger.error("the stack did not start", { error: (error as Error).message });
  await stopAll("startup failure", 1);
}
