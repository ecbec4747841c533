/**
 * The inference worker's one entry point, whatever carries the request (the container Lambda's handler, the GPU
 * host's HTTP server): a WorkerRequest in, a WorkerResponse out (job-protocol.ts). The A1111 body is validated again
 * with the API's own schemas, so a worker called directly answers the same 422s the API does, and every failure
 * comes back typed (errors.ts) instead of thrown.
 */
import type { z } from "zod";
import { RequestValidationError } from "../../a1111/errors.ts";
import { echoParameters } from "../../a1111/generation/response.ts";
import { toValidationIssues, validate } from "../../a1111/validation.ts";
import type { GenerationHooks, GenerationJob, InferenceBackend, ProgressUpdate } from "../../a1111/backend.ts";
import { serializeError } from "../inference/errors.ts";
import { WorkerRequest, type WorkerResponse } from "../inference/job-protocol.ts";
import { Img2ImgRequest, Txt2ImgRequest } from "../../a1111/schemas/generation.ts";
import { Options } from "../../a1111/schemas/options.ts";
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
