/**
 * Configuration, read once from the environment and validated; everything else receives it as a value.
 * docs/configuration.md documents every variable.
 */
import os from "node:os";
import path from "node:path";
import * as z from "zod";
import { LIMITS } from "../a1111/schemas/limits.ts";

const csv = z
  .string()
  .optional()
  .transform((s) => (s ?? "").split(",").map((x) => x.trim()).filter(Boolean));

const credentials = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (!s) return null;
    const users = [];
    for (const pair of s.split(",")) {
      const parts = pair.split(":");
      if (parts.length !== 2 || !parts[0] || !parts[1]) {
        ctx.addIssue({ code: "custom", message: "SERENA_API_AUTH must be user:pass[,user2:pass2]; passwords cannot contain ':'" });
        return z.NEVER;
      }
      users.push({ user: parts[0], password: parts[1] });
    }
    return users;
  });

const positiveInt = (def: number) => z.coerce.number().int().positive().default(def);

/** "true"/"1" or "false"/"0" (unset: false); anything else is a configuration error, not a silent false. */
const flag = z
  .enum(["true", "false", "1", "0"], { error: "must be true or false" })
  .optional()
  .transform((v) => v === "true" || v === "1");

const EnvSchema = z.object({
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(7860),
  CI: z.string().optional(),
  SERENA_API_AUTH: credentials,
  SERENA_CORS_ALLOW_ORIGINS: csv,
  SERENA_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  SERENA_MAX_BODY_BYTES: positiveInt(LIMITS.maxBodyBytes),
  SERENA_BACKEND: z.enum(["local", "lambda", "http", "none"]).default("local"),
  SERENA_MODEL_DIR: z.string().optional(),
  SERENA_MODELS_ROOT: z.string().optional(),
  SERENA_LORA_DIR: z.string().optional(),
  SERENA_EMBEDDINGS_DIR: z.string().optional(),
  SERENA_CACHE_DIR: z.string().default(path.join(os.tmpdir(), "serena-cache")),
  SERENA_ORT_THREADS: z.coerce.number().int().min(0).max(256).default(0),
  SERENA_ORT_EXECUTION_PROVIDERS: z
    .string()
    .default("cpu")
    .transform((s) => s.split(",").map((x) => x.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.enum(["cpu", "cuda", "tensorrt", "webgpu"])).min(1)),
  SERENA_BUCKET: z.string().optional(),
  SERENA_S3_ENDPOINT: z.url().optional(),
  SERENA_S3_REGION: z.string().default("us-east-1"),
  SERENA_MODEL_S3_URI: z.string().regex(/^s3:\/\/[^/]+\/.*$/, "must look like s3://bucket/prefix/").optional(),
  SERENA_PRESIGN_EXPIRES: positiveInt(3600),
  SERENA_MAX_RESPONSE_BYTES: z.coerce.number().int().positive().optional(),
  /** Set by AWS Lambda in every function's environment: this process answers through Lambda's 6 MB response limit. */
  AWS_LAMBDA_FUNCTION_NAME: z.string().optional(),
  SERENA_WORKER_FUNCTION: z.string().optional(),
  SERENA_LAMBDA_ENDPOINT: z.url().optional(),
  SERENA_WORKER_URL: z.url().optional(),
  SERENA_WORKER_TOKEN: z.string().optional(),
  SERENA_WORKER_TIMEOUT_MS: positiveInt(28_000),
  SERENA_WORKER_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  SERENA_JOB_RUNNER_FUNCTION: z.string().optional(),
  SERENA_MAX_QUEUE: z.coerce.number().int().min(0).max(1000).default(8),
  SERENA_MAX_JOBS: z.coerce.number().int().min(1).max(100_000).default(200),
  SERENA_JOB_TTL_SECONDS: positiveInt(3600),
  SERENA_WEBHOOK_SECRET: z.string().min(16, "must be at least 16 characters").optional(),
  SERENA_WEBHOOK_ALLOW_HTTP: flag,
  SERENA_WEBHOOK_ALLOW_PRIVATE: flag,
});

export type Config = ReturnType<typeof parseConfig>;

/** Lambda answers at most 6 MB; this leaves room for the rest of the response (docs/deploying.md). */
export const LAMBDA_RESPONSE_BYTES = 5_500_000;
/** "No limit" as a number that JSON and the worker protocol's integer fields carry. */
export const NO_RESPONSE_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * The LoRA and textual-inversion folders (A1111's `--lora-dir`, default models/Lora, and `--embeddings-dir`, default
 * embeddings/): set, or by default `Lora` and `embeddings` inside SERENA_MODELS_ROOT (the model catalog lists only
 * folders with a model_index.json, so they are never taken for models), else beside SERENA_MODEL_DIR; none when
 * neither is set. A folder that does not exist lists nothing.
 */
function networkFolders(e: z.output<typeof EnvSchema>): { loraDir: string | null; embeddingsDir: string | null } {
  const root = e.SERENA_MODELS_ROOT ?? (e.SERENA_MODEL_DIR ? path.dirname(path.resolve(e.SERENA_MODEL_DIR)) : null);
  return {
    loraDir: e.SERENA_LORA_DIR ?? (root === null ? null : path.join(root, "Lora")),
    embeddingsDir: e.SERENA_EMBEDDINGS_DIR ?? (root === null ? null : path.join(root, "embeddings")),
  };
}

export function parseConfig(env: NodeJS.ProcessEnv) {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    /** The CI fake answers txt2img/img2img only when CI is exactly "true" (docs/architecture.md). */
    ciFake: e.CI === "true",
    apiAuth: e.SERENA_API_AUTH,
    corsAllowOrigins: e.SERENA_CORS_ALLOW_ORIGINS,
    logLevel: e.SERENA_LOG_LEVEL,
    maxBodyBytes: e.SERENA_MAX_BODY_BYTES,
    backend: e.SERENA_BACKEND,
    modelDir: e.SERENA_MODEL_DIR ?? null,
    modelsRoot: e.SERENA_MODELS_ROOT ?? null,
    networks: networkFolders(e),
    /** The folders as SERENA_LORA_DIR and SERENA_EMBEDDINGS_DIR set them (null: unset), for defaults elsewhere. */
    networksSet: { loraDir: e.SERENA_LORA_DIR ?? null, embeddingsDir: e.SERENA_EMBEDDINGS_DIR ?? null },
    cacheDir: e.SERENA_CACHE_DIR,
    ortThreads: e.SERENA_ORT_THREADS,
    /** onnxruntime execution providers in order of preference, e.g. ["cuda", "cpu"] on a GPU host. */
    ortExecutionProviders: e.SERENA_ORT_EXECUTION_PROVIDERS,
    storage: {
      /** Outputs, job state and shared settings; unset means in-memory state and inline images only. */
      bucket: e.SERENA_BUCKET ?? null,
      /** An S3-compatible endpoint (local servers in tests and development); unset means AWS. */
      endpoint: e.SERENA_S3_ENDPOINT ?? null,
      region: e.SERENA_S3_REGION,
      presignExpiresSeconds: e.SERENA_PRESIGN_EXPIRES,
      /** A model folder in S3, downloaded to the cache folder on cold start. */
      modelUri: e.SERENA_MODEL_S3_URI ?? null,
    },
    /**
     * Responses whose images would pass this size are stored in S3 and returned as URLs. By default only where
     * Lambda's 6 MB limit applies: inside a Lambda function, or when generation runs on the Lambda inference worker.
     */
    maxResponseBytes:
      e.SERENA_MAX_RESPONSE_BYTES ?? (e.AWS_LAMBDA_FUNCTION_NAME || e.SERENA_BACKEND === "lambda" ? LAMBDA_RESPONSE_BYTES : NO_RESPONSE_LIMIT),
    worker: {
      functionName: e.SERENA_WORKER_FUNCTION ?? null,
      lambdaEndpoint: e.SERENA_LAMBDA_ENDPOINT ?? null,
      url: e.SERENA_WORKER_URL ?? null,
      token: e.SERENA_WORKER_TOKEN ?? null,
      timeoutMs: e.SERENA_WORKER_TIMEOUT_MS,
      retries: e.SERENA_WORKER_RETRIES,
    },
    /** The function that runs async jobs; unset means jobs run in this process. */
    jobRunnerFunction: e.SERENA_JOB_RUNNER_FUNCTION ?? null,
    /** Generations that may wait behind the running one in this process before new ones get 429. */
    maxQueue: e.SERENA_MAX_QUEUE,
    /** Async jobs kept in memory without a bucket, and how long a finished one stays readable. */
    memoryJobs: { maxJobs: e.SERENA_MAX_JOBS, finishedTtlMs: e.SERENA_JOB_TTL_SECONDS * 1000 },
    webhooks: {
      secret: e.SERENA_WEBHOOK_SECRET ?? null,
      allowHttp: e.SERENA_WEBHOOK_ALLOW_HTTP,
      allowPrivate: e.SERENA_WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: 10_000,
      attempts: 3,
      backoffMs: 1000,
    },
  };
}

let cached: Config | undefined;

/** The process's configuration, parsed on first use. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}
