/**
 * Serena's asynchronous jobs (`/serena/v1/jobs`), beside A1111's synchronous routes for generations that do not
 * fit the gateway's 30 s: submit a txt2img/img2img request, poll its state, fetch the images from presigned URLs.
 */
import * as z from "zod";
import { ProgressCounters } from "../progress.ts";
import { Img2ImgRequest, Txt2ImgRequest } from "./generation.ts";

export const JobType = z.enum(["txt2img", "img2img"]);
export type JobType = z.output<typeof JobType>;

export const JobStatus = z.enum(["queued", "running", "succeeded", "failed", "cancelled"]);
export type JobStatus = z.output<typeof JobStatus>;

const WebhookUrl = z
  .url({ protocol: /^https?$/, error: "webhook must be an https URL" })
  .max(2048)
  .describe(
    "Receives a POST with the job's final state as JSON, signed in x-serena-signature (docs/security.md). https only, " +
      "public addresses only; up to 3 attempts.",
  );

export const JobCreateRequest = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("txt2img"), request: Txt2ImgRequest, webhook: WebhookUrl.optional() }),
    z.object({ type: z.literal("img2img"), request: Img2ImgRequest, webhook: WebhookUrl.optional() }),
  ])
  .meta({ id: "JobCreateRequest", description: "A txt2img or img2img request body, exactly as the A1111 route takes it." });
export type JobCreateRequest = z.output<typeof JobCreateRequest>;

export const JobCreated = z.object({ id: z.uuid() }).meta({ id: "JobCreated" });

export const JobProgress = ProgressCounters.extend({
  fraction: z.number().min(0).max(1).describe("Overall progress, computed as A1111's /sdapi/v1/progress computes it."),
});
export type JobProgress = z.output<typeof JobProgress>;

export const JobTiming = z.object({
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  finishedAt: z.iso.datetime().nullable(),
  durationMs: z.int().nullable().describe("From start to finish."),
  updatedAt: z.iso.datetime().describe("Last write by the runner; a running job refreshes it at least once a minute."),
});
export type JobTiming = z.output<typeof JobTiming>;

export const JobError = z.object({ status: z.int(), detail: z.string() });
export type JobError = z.output<typeof JobError>;

export const JobWebhook = z.object({
  url: z.string(),
  deliveredAt: z.iso.datetime().nullable(),
  error: z.string().nullable(),
});

export const JobView = z
  .object({
    id: z.uuid(),
    type: JobType,
    status: JobStatus,
    cancelRequested: z.boolean(),
    progress: JobProgress,
    timing: JobTiming,
    result: z
      .object({
        image_urls: z.array(z.string()).describe("Presigned GET URLs of the images, made fresh on every read."),
        images: z.array(z.string()).optional().describe("Base64 images, only when no bucket is configured (SERENA_BUCKET)."),
        info: z.string().describe("A JSON string of GenerationInfo, as in the A1111 response."),
        parameters: z.record(z.string(), z.unknown()),
        warnings: z.array(z.string()).optional().describe("Settings the request set that had no effect, as in the A1111 route's response."),
      })
      .nullable()
      .describe("Only on success: a failed or cancelled job has no partial result."),
    error: JobError.nullable(),
    webhook: JobWebhook.nullable(),
  })
  .meta({ id: "Job" });
export type JobView = z.output<typeof JobView>;
