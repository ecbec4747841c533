/**
 * The one protocol every remote inference tier speaks (the container-image Lambda and the GPU HTTP endpoint):
 * a txt2img/img2img request in, images + info + parameters out, errors typed (errors.ts). The worker validates the
 * request again with the shared schemas; it is the same contract the API functions enforce. `requestId` is the API
 * request's id (lib/platform/http/request-id.ts), which the worker's log lines carry.
 */
import * as z from "zod";
import { SDModelItem } from "../../a1111/schemas/catalog-items.ts";
import { GenerationInfo } from "../../a1111/schemas/generation-response.ts";
import { acceptRequestId } from "../http/request-id.ts";
import { SerializedError } from "./errors.ts";

/**
 * The caller's request id; one the API would not accept in `x-request-id` is dropped (the worker makes its own)
 * rather than failing the job over a log key.
 */
const RequestId = z
  .string()
  .optional()
  .catch(undefined)
  .transform((id) => acceptRequestId(id) ?? undefined);

export const OutputPolicy = z.object({
  /** Images whose base64 would pass this many bytes in all are stored instead (Lambda's 6 MB response limit). */
  inlineLimitBytes: z.int().positive(),
  /** Store images even when they fit (A1111 `save_images`). */
  store: z.boolean().default(false),
  /** Key prefix for stored images, e.g. "outputs/<job id>/". */
  prefix: z.string(),
});

const generation = <T extends "txt2img" | "img2img">(type: T) =>
  z.object({
    type: z.literal(type),
    /** The A1111 request body; the worker validates it with the txt2img/img2img schema. */
    request: z.record(z.string(), z.unknown()),
    /** Settings in force for this request (stored options with override_settings applied). */
    options: z.record(z.string(), z.unknown()).default({}),
    /** When set, the worker reports progress to this job's state and stops when it is cancelled. */
    jobId: z.string().optional(),
    output: OutputPolicy.optional(),
    requestId: RequestId,
  });

export const WorkerRequest = z.discriminatedUnion("type", [
  generation("txt2img"),
  generation("img2img"),
  z.object({ type: z.literal("models"), requestId: RequestId }),
]);
export type WorkerRequest = z.input<typeof WorkerRequest>;

/** An image in a result: inline base64, or a key in the configured bucket. */
export const ResultImage = z.union([z.object({ base64: z.string() }), z.object({ key: z.string() })]);
export type ResultImage = z.output<typeof ResultImage>;

export const WorkerResponse = z.union([
  z.object({
    ok: z.literal(true),
    images: z.array(ResultImage),
    info: GenerationInfo,
    parameters: z.record(z.string(), z.unknown()),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({ ok: z.literal(true), models: z.array(SDModelItem) }),
  z.object({ ok: z.literal(false), error: SerializedError }),
]);
export type WorkerResponse = z.output<typeof WorkerResponse>;
