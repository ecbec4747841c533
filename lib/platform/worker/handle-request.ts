/**
 * The inference worker's one entry point, whatever carries the request (the container Lambda's handler, the GPU
 * host's HTTP server): a WorkerRequest in, a WorkerResponse out (job-protocol.ts). The A1111 body is validated again
 * with the API's own schemas, so a worker called directly answers the same 422s the API does, and every failure
 * comes back typed (errors.ts) instead of thrown.
 *
 * `invokeWorker` wraps it for both carriers with the invocation's log lines: each carries the request id the caller
 * sent (the API request's, job-protocol.ts) or a new one, and the generation runs within that id's scope
 * (lib/platform/http/request-id.ts), so the engine's own log lines (model load) carry it too.
 */
import { randomUUID } from "node:crypto";
import type * as z from "zod";
import { errorAnswer, RequestValidationError } from "../../a1111/errors.ts";
import { echoParameters } from "../../a1111/generation/response.ts";
import { toValidationIssues, validate } from "../../a1111/validation.ts";
import type { GenerationHooks, GenerationJob, InferenceBackend, ProgressUpdate } from "../../a1111/backend.ts";
import { failureLogFields, scrubReason } from "../http/error-log.ts";
import { acceptRequestId, withRequestId } from "../http/request-id.ts";
import { deserializeError, serializeError } from "../inference/errors.ts";
import { WorkerRequest, type WorkerResponse } from "../inference/job-protocol.ts";
import { Img2ImgRequest, Txt2ImgRequest } from "../../a1111/schemas/generation.ts";
import { Options } from "../../a1111/schemas/options.ts";
import type { Logger } from "../runtime/logger.ts";
import type { ObjectStorage } from "../storage/object-storage.ts";
import { resultImages } from "./result-images.ts";

export interface WorkerDeps {
  /** The engine, models kept loaded between requests (the local backend's worker thread). */
  backend: InferenceBackend;
  /** Where images go that do not fit the response or are to be kept; null when no bucket is configured. */
  storage: ObjectStorage | null;
  /** Progress of a job submitted with a `jobId` (the async job path records it in the job's state). */
  onProgress?: (jobId: string, update: ProgressUpdate) => void;
  /** Polled between sampler steps for a job with a `jobId`: whether it was interrupted or told to skip. */
  control?: (jobId: string) => "interrupt" | "skip" | null;
  /** Called when the generation for a `jobId` has ended, whatever its outcome. */
  release?: (jobId: string) => Promise<void>;
}

type GenerationRequest = Extract<z.output<typeof WorkerRequest>, { type: "txt2img" | "img2img" }>;

/** Options arrive from the API tier as a plain record; missing keys take A1111's defaults. */
function generationJob(request: GenerationRequest): GenerationJob {
  const parsed = Options.safeParse(request.options);
  if (!parsed.success) {
    const issues = toValidationIssues(parsed.error, "body");
    throw new RequestValidationError(issues.map((i) => ({ ...i, loc: ["body", "options", ...i.loc.slice(1)] })));
  }
  return request.type === "txt2img"
    ? { type: "txt2img", request: validate(Txt2ImgRequest, request.request, "body"), options: parsed.data }
    : { type: "img2img", request: validate(Img2ImgRequest, request.request, "body"), options: parsed.data };
}

function jobHooks(jobId: string | undefined, deps: WorkerDeps): GenerationHooks {
  if (jobId === undefined) return {};
  const { onProgress, control } = deps;
  return {
    onProgress: onProgress && ((update) => onProgress(jobId, update)),
    control: control && (() => control(jobId)),
  };
}

export async function handleWorkerRequest(request: unknown, deps: WorkerDeps): Promise<WorkerResponse> {
  try {
    const parsed = validate(WorkerRequest, request, "body");
    if (parsed.type === "models") return { ok: true, models: await deps.backend.listModels() };
    const job = generationJob(parsed);
    const output = await deps.backend
      .generate(job, jobHooks(parsed.jobId, deps))
      .finally(() => (parsed.jobId === undefined ? undefined : deps.release?.(parsed.jobId)));
    const images = await resultImages(output.images, parsed.output, deps.storage);
    return { ok: true, images, info: output.info, parameters: echoParameters(job.request), ...(output.warnings ? { warnings: output.warnings } : {}) };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

/** The HTTP status of an answer: 200, or the status `errorAnswer` gives its error (the API tier's own mapping). */
export const responseStatus = (response: WorkerResponse) =>
  response.ok ? 200 : errorAnswer(deserializeError(response.error), "the worker's log").status;

/** The request id an invocation logs under: the carrier's (an `x-request-id` header), the body's, or a new one. */
export function invocationRequestId(request: unknown, carried?: string | null): string {
  return carried ?? acceptRequestId((request as { requestId?: unknown } | null)?.requestId) ?? randomUUID();
}

export interface Invocation {
  response: WorkerResponse;
  status: number;
  requestId: string;
}

/**
 * Runs one WorkerRequest with its log lines: "invocation started" (the request type), "invocation refused" for a
 * 4xx answer and "invocation failed" for a 5xx (the reason and field, never the request's content,
 * lib/platform/http/error-log.ts), and "invocation finished" (status and milliseconds), all with the request id.
 */
export async function invokeWorker(request: unknown, deps: WorkerDeps, options: { logger: Logger; requestId: string }): Promise<Invocation> {
  const { requestId } = options;
  const logger = options.logger.createChild({ persistentKeys: { requestId } });
  const started = performance.now();
  const body = request as { type?: unknown; request?: unknown } | null;
  logger.info("invocation started", { type: typeof body?.type === "string" ? body.type.slice(0, 20) : undefined });
  const response = await withRequestId(requestId, () => handleWorkerRequest(request, deps));
  const status = responseStatus(response);
  if (!response.ok && status >= 500) {
    const message = response.error.type === "validation" ? "" : response.error.message;
    logger.error("invocation failed", { status, reason: scrubReason(message, body?.request) });
  } else if (!response.ok && status >= 400) {
    logger.warn("invocation refused", { status, ...failureLogFields(deserializeError(response.error), body?.request) });
  }
  logger.info("invocation finished", { status, ms: Math.round(performance.now() - started) });
  return { response, status, requestId };
}
