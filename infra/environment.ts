/**
 * The SERENA_* environment (lib/platform/config.ts) of every deployed function. Pure and generic in the value type: the
 * infra passes Pulumi values (bucket name, secret values, function names), the tests pass strings and check the
 * result with parseConfig, so a variable the infra sets is one the code reads.
 */

/** Where generation runs: the container-image Lambda, or a GPU host speaking the same job protocol. */
export type InferenceTier<V> = { kind: "lambda"; functionName: V } | { kind: "http"; url: string; token: V };

export type FunctionEnvironment<V> = Record<string, V | string>;

/**
 * How long a caller waits for the worker: a little less than its own timeout, so that it still answers with
 * a JSON error instead of being cut off by Lambda (or by API Gateway's 30 s) mid-request.
 */
export function workerTimeoutMs(callerTimeoutSeconds: number, marginSeconds: number): number {
  return (callerTimeoutSeconds - marginSeconds) * 1000;
}

function backendEnvironment<V>(tier: InferenceTier<V>, timeoutMs: number): FunctionEnvironment<V> {
  const common = { SERENA_WORKER_TIMEOUT_MS: String(timeoutMs) };
  return tier.kind === "lambda"
    ? { ...common, SERENA_BACKEND: "lambda", SERENA_WORKER_FUNCTION: tier.functionName }
    : { ...common, SERENA_BACKEND: "http", SERENA_WORKER_URL: tier.url, SERENA_WORKER_TOKEN: tier.token };
}

/** The stage's bucket and region; the region is also where the API finds the worker and the job runner. */
export interface Storage<V> {
  bucket: V;
  region: V;
}

const storageEnvironment = <V>(storage: Storage<V>): FunctionEnvironment<V> => ({
  SERENA_BUCKET: storage.bucket,
  SERENA_S3_REGION: storage.region,
});

export interface ApiEnvironmentInput<V> {
  tier: InferenceTier<V>;
  storage: Storage<V>;
  /** `user:pass[,user2:pass2]`, from the ApiAuth secret. */
  apiAuth: V;
  jobRunnerFunction: V;
  workerTimeoutMs: number;
}

/** An HTTP route's function: answers A1111 requests, sends generations to the tier, queues async jobs. */
export function apiEnvironment<V>(input: ApiEnvironmentInput<V>): FunctionEnvironment<V> {
  return {
    ...backendEnvironment(input.tier, input.workerTimeoutMs),
    ...storageEnvironment(input.storage),
    SERENA_API_AUTH: input.apiAuth,
    SERENA_JOB_RUNNER_FUNCTION: input.jobRunnerFunction,
  };
}

/** The job runner: reads a queued job from the bucket, runs it on the tier, writes the result back. */
export function jobRunnerEnvironment<V>(input: Pick<ApiEnvironmentInput<V>, "tier" | "storage" | "workerTimeoutMs">): FunctionEnvironment<V> {
  return { ...backendEnvironment(input.tier, input.workerTimeoutMs), ...storageEnvironment(input.storage) };
}

/** The container-image worker: loads the model from the bucket into /tmp and runs the engine in-process. */
export function workerEnvironment<V>(input: { storage: Storage<V>; modelUri: V }): FunctionEnvironment<V> {
  return { SERENA_BACKEND: "local", ...storageEnvironment(input.storage), SERENA_MODEL_S3_URI: input.modelUri };
}
