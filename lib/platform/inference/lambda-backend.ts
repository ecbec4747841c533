/**
 * The `lambda` backend: each job is one synchronous Invoke (RequestResponse) of the inference function, the
 * container image built from infra/worker.Dockerfile whose handler is lib/platform/worker/lambda-handler.ts.
 *
 * - Retries: the AWS SDK's own (throttling, 5xx from the Lambda service, connection errors), bounded by
 *   SERENA_WORKER_RETRIES. An invocation that ran and failed comes back as a FunctionError and is not retried.
 * - Time: SERENA_WORKER_TIMEOUT_MS aborts the wait with a 504; the invocation itself runs on to its own timeout.
 * - Size: Lambda takes and returns at most 6 MB (docs/serverless.md §4), so the request asks the worker to store
 *   images past `inlineLimitBytes` in the bucket.
 * - A local endpoint (SERENA_LAMBDA_ENDPOINT, tests and development) is called like AWS, signed with whatever
 *   credentials are given; emulators do not check them.
 */
import type { LambdaClient, LambdaClientConfig } from "@aws-sdk/client-lambda";
import type { Config } from "../config.ts";
import { ApiError, backendUnavailable, gatewayTimeout } from "../../a1111/errors.ts";
import type { InferenceBackend } from "../../a1111/backend.ts";
import type { WorkerRequest } from "./job-protocol.ts";
import { badGateway, remoteBackend } from "./remote-worker.ts";

export interface LambdaBackendOptions {
  /** The function's region (SERENA_S3_REGION: one region for the deployment). */
  region: string;
  /** Images whose base64 passes this many bytes are stored by the worker (SERENA_MAX_RESPONSE_BYTES). */
  inlineLimitBytes: number;
  /** Default: the SDK's provider chain (the API function's role in AWS). */
  credentials?: LambdaClientConfig["credentials"];
}

/** What Lambda returns as the payload when the handler throws (Invoke API, `X-Amz-Function-Error`). */
interface FunctionErrorPayload {
  errorType?: string;
  errorMessage?: string;
}

function invokeFailure(error: unknown, functionName: string): Error {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  if (name === "TooManyRequestsException") return backendUnavailable(`The inference function ${functionName} is throttled: ${message}`);
  if (name === "RequestTooLargeException") return new ApiError(413, "PayloadTooLarge", `The request is too large for the inference function: ${message}`);
  return badGateway(`Invoking the inference function ${functionName} failed: ${name}: ${message}`);
}

export function createLambdaBackend(worker: Config["worker"], options: LambdaBackendOptions): InferenceBackend {
  const functionName = worker.functionName;
  if (!functionName) throw new Error("SERENA_BACKEND=lambda needs SERENA_WORKER_FUNCTION, the inference function's name or ARN");
  // The AWS SDK is imported on the first job, not when the function starts: light routes never use it.
  let client: LambdaClient | null = null;
  const lambdaClient = async () =>
    (client ??= new (await import("@aws-sdk/client-lambda")).LambdaClient({
      region: options.region,
      maxAttempts: worker.retries + 1,
      ...(worker.lambdaEndpoint ? { endpoint: worker.lambdaEndpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    }));
  const where = `The inference function ${functionName}`;

  const invoke = async (request: WorkerRequest): Promise<unknown> => {
    const signal = AbortSignal.timeout(worker.timeoutMs);
    let result;
    try {
      const { InvokeCommand } = await import("@aws-sdk/client-lambda");
      const command = new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "RequestResponse",
        Payload: Buffer.from(JSON.stringify(request)),
      });
      result = await (await lambdaClient()).send(command, { abortSignal: signal });
    } catch (error) {
      if (signal.aborted) throw gatewayTimeout(`${where} did not answer within ${worker.timeoutMs} ms`);
      throw invokeFailure(error, functionName);
    }
    const text = Buffer.from(result.Payload ?? new Uint8Array()).toString("utf8");
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      throw badGateway(`${where} answered with a payload that is not JSON`);
    }
    if (result.FunctionError) {
      // The runtime's report carries a stack trace too; it stays in the function's logs, not in API answers.
      const { errorType, errorMessage } = (payload ?? {}) as FunctionErrorPayload;
      throw badGateway(`${where} failed (${result.FunctionError}): ${errorType ?? "Error"}: ${errorMessage ?? "no message"}`);
    }
    return payload;
  };

  return {
    ...remoteBackend("lambda", where, options.inlineLimitBytes, invoke),
    async close() {
      client?.destroy();
    },
  };
}
