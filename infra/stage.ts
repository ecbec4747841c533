/**
 * What differs between stages, decided when `sst deploy` runs. Plain data and no SST globals, so sst.config.ts's
 * `app()` and the tests can use it too.
 *
 * Stage-specific values that are not secrets come from the environment of the deploy: SST loads `.env` and
 * `.env.<stage>` into it (https://sst.dev/docs/environment-variables), so `.env.prod` holding
 * `SERENA_GPU_ENDPOINT_URL=...` configures the prod stage only. Secrets (API users, GPU token) are SST secrets.
 */

/** Stages whose resources survive `sst remove` and which `sst remove` refuses to touch. */
const PRODUCTION_STAGES: readonly string[] = ["production", "prod"];

export const isProductionStage = (stage: string | undefined): boolean => PRODUCTION_STAGES.includes(stage ?? "");

export interface DeploySettings {
  /** A GPU host speaking the worker protocol; null deploys the container-image Lambda worker instead. */
  gpuEndpointUrl: string | null;
  /** The model folder under `models/` in the stage's bucket that the Lambda worker loads. */
  modelName: string;
  /** Origins API Gateway answers CORS for; empty means no CORS, as A1111 without --cors-allow-origins. */
  corsAllowOrigins: string[];
  /** CloudWatch retention: short for throwaway stages, longer where people debug real traffic. */
  logRetention: "1 week" | "3 months";
  logRetentionDays: 7 | 90;
  /**
   * Days the bucket keeps generated images (`outputs/`) and async job records (`jobs/`) before S3's lifecycle rules
   * delete them (SERENA_OUTPUT_RETENTION_DAYS, default 7): nothing a client makes accumulates for ever. Models
   * (`models/`) and settings are kept.
   */
  outputRetentionDays: number;
}

/**
 * The deploy's environment; deploySettings reads SERENA_GPU_ENDPOINT_URL, SERENA_MODEL_NAME, SERENA_CORS_ALLOW_ORIGINS,
 * SERENA_OUTPUT_RETENTION_DAYS.
 */
export type DeployEnv = Readonly<Record<string, string | undefined>>;

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function deploySettings(stage: string, env: DeployEnv): DeploySettings {
  const gpu = env.SERENA_GPU_ENDPOINT_URL?.trim() || null;
  if (gpu !== null && !/^https?:$/.test(URL.parse(gpu)?.protocol ?? "")) {
    throw new Error(`SERENA_GPU_ENDPOINT_URL must be an http(s) URL, got '${gpu}'`);
  }
  const modelName = env.SERENA_MODEL_NAME?.trim() || "sd15";
  if (!MODEL_NAME.test(modelName)) throw new Error(`SERENA_MODEL_NAME must be a folder name (letters, digits, '.', '_', '-'), got '${modelName}'`);
  const corsAllowOrigins = (env.SERENA_CORS_ALLOW_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter(Boolean);
  const retention = env.SERENA_OUTPUT_RETENTION_DAYS?.trim() || "7";
  if (!/^[1-9][0-9]{0,4}$/.test(retention)) throw new Error(`SERENA_OUTPUT_RETENTION_DAYS must be a whole number of days from 1, got '${retention}'`);
  return {
    gpuEndpointUrl: gpu,
    modelName,
    corsAllowOrigins,
    outputRetentionDays: Number(retention),
    ...(isProductionStage(stage) ? { logRetention: "3 months", logRetentionDays: 90 } : { logRetention: "1 week", logRetentionDays: 7 }),
  };
}
