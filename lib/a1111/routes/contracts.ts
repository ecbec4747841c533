/**
 * Each route's request and response schemas and summary, keyed by its handler file (lib/a1111/routes/table.ts). Handlers
 * validate with these, the OpenAPI document is generated from these, and the tests check responses against them.
 */
import { z } from "zod";
import {
  EmbeddingsResponse,
  LatentUpscalerModeList,
  LoraList,
  PromptStyleList,
  SamplerList,
  SchedulerList,
  ScriptsList,
  SDModelList,
  SDVaeList,
  UpscalerList,
} from "../schemas/catalog-items.ts";
import { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";
import { GenerationResponse } from "../schemas/generation-response.ts";
import {
  ExtrasBatchImagesRequest,
  ExtrasBatchImagesResponse,
  ExtrasSingleImageRequest,
  ExtrasSingleImageResponse,
  PNGInfoRequest,
  PNGInfoResponse,
} from "../schemas/images.ts";
import { JobCreated, JobCreateRequest, JobView } from "../schemas/jobs.ts";
import { Options } from "../schemas/options.ts";
import { EmptyObject, FlagsModel, MemoryResponse, NullBody, ProgressQuery, ProgressResponse } from "../schemas/system.ts";

export interface Contract {
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Schema of a 200 response body; `null` for routes that answer with something other than JSON. */
  response: z.ZodType | null;
  /** Content type of a non-JSON response. */
  produces?: string;
  /** The success status when it is not 200 (202 Accepted for a submitted job). */
  status?: number;
  generation?: boolean;
}

const OptionsUpdateBody = z.record(z.string(), z.unknown()).meta({ id: "OptionsUpdate", description: "Any subset of OptionsModel's keys." });

export const CONTRACTS = {
  txt2img: { summary: "Text to image", body: Txt2ImgRequest, response: GenerationResponse, generation: true },
  img2img: { summary: "Image to image", body: Img2ImgRequest, response: GenerationResponse, generation: true },
  "png-info": { summary: "Read generation parameters from an image", body: PNGInfoRequest, response: PNGInfoResponse },
  "extra-single-image": { summary: "Upscale one image", body: ExtrasSingleImageRequest, response: ExtrasSingleImageResponse },
  "extra-batch-images": { summary: "Upscale several images", body: ExtrasBatchImagesRequest, response: ExtrasBatchImagesResponse },
  progress: { summary: "Progress of the running generation", query: ProgressQuery, response: ProgressResponse },
  interrupt: { summary: "Stop the running generation and return what is done", response: EmptyObject },
  skip: { summary: "Skip the current image batch", response: NullBody },
  "options-get": { summary: "Read settings", response: Options },
  "options-set": { summary: "Change settings", body: OptionsUpdateBody, response: NullBody },
  "cmd-flags": { summary: "Server flags", response: FlagsModel },
  samplers: { summary: "Samplers that run", response: SamplerList },
  schedulers: { summary: "Schedulers that run", response: SchedulerList },
  upscalers: { summary: "Upscalers", response: UpscalerList },
  "latent-upscale-modes": { summary: "Latent upscale modes for hires fix", response: LatentUpscalerModeList },
  "sd-models": { summary: "Checkpoints", response: SDModelList },
  "refresh-checkpoints": { summary: "Rescan checkpoints", response: NullBody },
  "sd-vae": { summary: "Separate VAEs (none)", response: SDVaeList },
  "prompt-styles": { summary: "Prompt styles (none)", response: PromptStyleList },
  embeddings: { summary: "Textual inversion embeddings (none)", response: EmbeddingsResponse },
  scripts: { summary: "Scripts (none)", response: ScriptsList },
  loras: { summary: "LoRA networks (none)", response: LoraList },
  memory: { summary: "Memory use", response: MemoryResponse },
  ping: { summary: "Liveness", response: EmptyObject },
  openapi: { summary: "This OpenAPI document", response: z.record(z.string(), z.unknown()) },
  docs: { summary: "Human-readable API documentation", response: null, produces: "text/html" },
  "jobs-create": { summary: "Submit a txt2img or img2img job (Serena)", body: JobCreateRequest, response: JobCreated, status: 202 },
  "jobs-get": { summary: "A job's status, progress, timing, result URLs or error (Serena)", response: JobView },
  "jobs-cancel": { summary: "Cancel a queued or running job (Serena)", response: JobView },
} satisfies Record<string, Contract>;

export type RouteFile = keyof typeof CONTRACTS;
