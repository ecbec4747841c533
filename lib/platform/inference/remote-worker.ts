/**
 * What the `lambda` and `http` backends share: a job written as a WorkerRequest (job-protocol.ts), and the worker's
 * answer read back as a GenerationOutput or a model list, its typed errors rethrown as they were raised.
 * Progress hooks do not cross a single request/response call, so these backends report no progress themselves: for
 * an async job they send its `jobId`, and the worker records progress in the job's state and watches it for a cancel.
 * Every request names the request id it is made for (the current scope's, lib/platform/http/request-id.ts), so the
 * worker's log lines can be found by the id the client got back.
 */
import { randomUUID } from "node:crypto";
import { ApiError } from "../../a1111/errors.ts";
import type { SDModelItem } from "../../a1111/schemas/catalog-items.ts";
import type { GenerationHooks, GenerationJob, GenerationOutput, InferenceBackend } from "../../a1111/backend.ts";
import { currentRequestId } from "../http/request-id.ts";
import { deserializeError } from "./errors.ts";
import { WorkerResponse, type WorkerRequest } from "./job-protocol.ts";

/** The inference tier failed or answered something the protocol does not allow: never the client's fault. */
export const badGateway = (detail: string) => new ApiError(502, "BadGateway", detail);

/**
 * Images over `inlineLimitBytes` (as base64) come back as keys under a prefix of their own; the same request is sent
 * again on a retry, so a retried job overwrites its own keys instead of leaving a second set.
 */
export function generationRequest(
  job: GenerationJob,
  inlineLimitBytes: number,
  hooks: GenerationHooks = {},
  requestId: string | undefined = currentRequestId(),
): WorkerRequest {
  return {
    type: job.type,
    request: job.request,
    options: job.options,
    ...(hooks.jobId === undefined ? {} : { jobId: hooks.jobId }),
    output: { inlineLimitBytes, store: false, prefix: `outputs/${randomUUID()}/` },
    ...(requestId === undefined ? {} : { requestId }),
  };
}

export const modelsRequest = (requestId: string | undefined = currentRequestId()): WorkerRequest =>
  requestId === undefined ? { type: "models" } : { type: "models", requestId };

function parseResponse(payload: unknown, worker: string): WorkerResponse {
  const parsed = WorkerResponse.safeParse(payload);
  if (!parsed.success) throw badGateway(`${worker} answered with something that is not a worker response`);
  if (!parsed.data.ok) throw deserializeError(parsed.data.error);
  return parsed.data;
}

export function generationOutput(payload: unknown, worker: string): GenerationOutput {
  const response = parseResponse(payload, worker);
  if (!("images" in response)) throw badGateway(`${worker} answered a generation with a model list`);
  const images: Buffer[] = [];
  const storedImageKeys: string[] = [];
  for (const image of response.images) {
    if ("key" in image) storedImageKeys.push(image.key);
    else images.push(Buffer.from(image.base64, "base64"));
  }
  const output: GenerationOutput = { images, info: response.info };
  if (storedImageKeys.length > 0) output.storedImageKeys = storedImageKeys;
  if (response.warnings?.length) output.warnings = response.warnings;
  return output;
}

export function modelList(payload: unknown, worker: string): SDModelItem[] {
  const response = parseResponse(payload, worker);
  if (!("models" in response)) throw badGateway(`${worker} answered a model list request with images`);
  return response.models;
}

/** A backend that sends each call as one WorkerRequest through `invoke` (a Lambda invocation or an HTTP POST). */
export function remoteBackend(
  name: string,
  where: string,
  inlineLimitBytes: number,
  invoke: (request: WorkerRequest) => Promise<unknown>,
): Pick<InferenceBackend, "name" | "generate" | "listModels"> {
  return {
    name,
    async generate(job, hooks) {
      hooks?.onStart?.();
      return generationOutput(await invoke(generationRequest(job, inlineLimitBytes, hooks)), where);
    },
    async listModels() {
      return modelList(await invoke(modelsRequest()), where);
    },
  };
}
