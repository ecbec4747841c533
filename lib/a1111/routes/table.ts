/**
 * Every HTTP route, declared once: method, path, request/query/response schemas, the function's gateway timeout
 * and memory. The Lambda functions (functions/<name>.ts, one per route), the local server, the SST infrastructure
 * and the OpenAPI document all read this table; each route's implementation lives in this folder
 * (`implement(ROUTE.<name>, …)`), so a route cannot exist in one place and not the others.
 */
import * as z from "zod";
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
import {
  ExtensionList,
  FaceRestorerList,
  HypernetworkList,
  RealesrganList,
  ScriptInfoList,
} from "../schemas/catalogs.ts";
import { HTTPErrorBody } from "../schemas/errors.ts";
import { jsonBody } from "../schemas/fields.ts";
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

export interface RouteDefinition {
  /** The function's name: its handler module is functions/<file>.ts. */
  readonly file: string;
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  readonly summary: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  /** Schema of a success response body; `null` for routes that answer with something other than JSON. */
  readonly response: z.ZodType | null;
  /** Content type of a non-JSON response. */
  readonly produces?: string;
  /**
   * The status the route answers when it does its job, when not 200: 202 Accepted for a submitted job; 501 for an
   * A1111 route whose feature Serena does not have (`notInSerena`), which answers A1111's error body and nothing else.
   */
  readonly status?: number;
  /** txt2img/img2img and job submission: under CI=true the CI fake stands in for the inference backend. */
  readonly generation?: boolean;
  /**
   * POST /options: settings checked against the model generations run on (clip skip); under CI=true that is the CI
   * fake, which serves every value, so the configured backend's model is not asked.
   */
  readonly settings?: boolean;
  /** Function timeout in seconds; HTTP API integrations stop at 30 s. */
  readonly timeout: number;
  /** Function memory in MB. */
  readonly memory: number;
  /**
   * npm packages whose files (not code) the function reads at run time: the bundler cannot include them, so the
   * deployment installs them beside the function's bundle (infra/api.ts), as it does sharp.
   */
  readonly install?: readonly string[];
}

type Declared = Omit<RouteDefinition, "file" | "timeout" | "memory"> & Partial<Pick<RouteDefinition, "timeout" | "memory">>;

const route = <const F extends string, const D extends Declared>(file: F, declared: D) =>
  ({ timeout: 10, memory: 512, ...declared, file }) as D & { file: F; timeout: number; memory: number };

/**
 * An A1111 route for a feature Serena does not have (interrogation, training, server control): it exists, so clients
 * get a 501 in A1111's error shape that names the feature instead of a 404, and OpenAPI lists it.
 */
const notInSerena = <const F extends string>(file: F, method: "GET" | "POST", path: string, summary: string) =>
  route(file, { method, path, summary: `${summary} (not available in Serena: 501)`, response: HTTPErrorBody, status: 501 });

/** Routes that ask the inference tier for its model list, which on a cold worker includes loading (or downloading) the model, get the gateway's whole 29 s. */
const MODEL_LIST_TIMEOUT = 29;

export const ROUTE = {
  txt2img: route("txt2img", {
    method: "POST",
    path: "/sdapi/v1/txt2img",
    summary: "Text to image",
    body: Txt2ImgRequest,
    response: GenerationResponse,
    generation: true,
    timeout: 29,
    memory: 1024,
  }),
  img2img: route("img2img", {
    method: "POST",
    path: "/sdapi/v1/img2img",
    summary: "Image to image",
    body: Img2ImgRequest,
    response: GenerationResponse,
    generation: true,
    timeout: 29,
    memory: 1024,
  }),
  "png-info": route("png-info", {
    method: "POST",
    path: "/sdapi/v1/png-info",
    summary: "Read generation parameters from an image",
    body: PNGInfoRequest,
    response: PNGInfoResponse,
    memory: 1024,
  }),
  "extra-single-image": route("extra-single-image", {
    method: "POST",
    path: "/sdapi/v1/extra-single-image",
    summary: "Upscale one image",
    body: ExtrasSingleImageRequest,
    response: ExtrasSingleImageResponse,
    timeout: 29,
    memory: 2048,
  }),
  "extra-batch-images": route("extra-batch-images", {
    method: "POST",
    path: "/sdapi/v1/extra-batch-images",
    summary: "Upscale several images",
    body: ExtrasBatchImagesRequest,
    response: ExtrasBatchImagesResponse,
    timeout: 29,
    memory: 2048,
  }),
  progress: route("progress", {
    method: "GET",
    path: "/sdapi/v1/progress",
    summary: "Progress of the running generation",
    query: ProgressQuery,
    response: ProgressResponse,
  }),
  interrupt: route("interrupt", {
    method: "POST",
    path: "/sdapi/v1/interrupt",
    summary: "Stop the running generation and return what is done",
    response: EmptyObject,
  }),
  skip: route("skip", { method: "POST", path: "/sdapi/v1/skip", summary: "Skip the current image batch", response: NullBody }),
  "options-get": route("options-get", {
    method: "GET",
    path: "/sdapi/v1/options",
    summary: "Read settings",
    response: Options,
    timeout: MODEL_LIST_TIMEOUT,
  }),
  "options-set": route("options-set", {
    method: "POST",
    path: "/sdapi/v1/options",
    summary: "Change settings",
    // Each value bounded in depth and size (LIMITS.maxJsonDepth, maxJsonValues) before the patch is read.
    body: jsonBody().meta({ id: "OptionsUpdate", description: "Any subset of OptionsModel's keys." }),
    response: NullBody,
    settings: true,
    timeout: MODEL_LIST_TIMEOUT,
  }),
  "cmd-flags": route("cmd-flags", { method: "GET", path: "/sdapi/v1/cmd-flags", summary: "Server flags", response: FlagsModel }),
  samplers: route("samplers", { method: "GET", path: "/sdapi/v1/samplers", summary: "Samplers that run", response: SamplerList }),
  schedulers: route("schedulers", { method: "GET", path: "/sdapi/v1/schedulers", summary: "Schedulers that run", response: SchedulerList }),
  upscalers: route("upscalers", { method: "GET", path: "/sdapi/v1/upscalers", summary: "Upscalers", response: UpscalerList }),
  "latent-upscale-modes": route("latent-upscale-modes", {
    method: "GET",
    path: "/sdapi/v1/latent-upscale-modes",
    summary: "Latent upscale modes for hires fix",
    response: LatentUpscalerModeList,
  }),
  "sd-models": route("sd-models", {
    method: "GET",
    path: "/sdapi/v1/sd-models",
    summary: "Checkpoints",
    response: SDModelList,
    timeout: MODEL_LIST_TIMEOUT,
  }),
  "refresh-checkpoints": route("refresh-checkpoints", {
    method: "POST",
    path: "/sdapi/v1/refresh-checkpoints",
    summary: "Rescan checkpoints",
    response: NullBody,
  }),
  "sd-vae": route("sd-vae", { method: "GET", path: "/sdapi/v1/sd-vae", summary: "Separate VAEs (none)", response: SDVaeList }),
  "prompt-styles": route("prompt-styles", {
    method: "GET",
    path: "/sdapi/v1/prompt-styles",
    summary: "Prompt styles (none)",
    response: PromptStyleList,
  }),
  embeddings: route("embeddings", {
    method: "GET",
    path: "/sdapi/v1/embeddings",
    summary: "Textual inversion embeddings (SERENA_EMBEDDINGS_DIR)",
    response: EmbeddingsResponse,
  }),
  "refresh-embeddings": route("refresh-embeddings", {
    method: "POST",
    path: "/sdapi/v1/refresh-embeddings",
    summary: "Reload the embeddings folder",
    response: NullBody,
  }),
  scripts: route("scripts", { method: "GET", path: "/sdapi/v1/scripts", summary: "Scripts (none)", response: ScriptsList }),
  loras: route("loras", { method: "GET", path: "/sdapi/v1/loras", summary: "LoRA networks (SERENA_LORA_DIR)", response: LoraList }),
  "refresh-loras": route("refresh-loras", { method: "POST", path: "/sdapi/v1/refresh-loras", summary: "Rescan the LoRA folder", response: NullBody }),
  memory: route("memory", { method: "GET", path: "/sdapi/v1/memory", summary: "Memory use", response: MemoryResponse }),
  hypernetworks: route("hypernetworks", {
    method: "GET",
    path: "/sdapi/v1/hypernetworks",
    summary: "Hypernetworks (none)",
    response: HypernetworkList,
  }),
  "face-restorers": route("face-restorers", {
    method: "GET",
    path: "/sdapi/v1/face-restorers",
    summary: "Face restorers (none)",
    response: FaceRestorerList,
  }),
  "realesrgan-models": route("realesrgan-models", {
    method: "GET",
    path: "/sdapi/v1/realesrgan-models",
    summary: "RealESRGAN models (none)",
    response: RealesrganList,
  }),
  "script-info": route("script-info", {
    method: "GET",
    path: "/sdapi/v1/script-info",
    summary: "Scripts and their arguments (none)",
    response: ScriptInfoList,
  }),
  extensions: route("extensions", { method: "GET", path: "/sdapi/v1/extensions", summary: "Extensions (none)", response: ExtensionList }),
  "refresh-vae": route("refresh-vae", {
    method: "POST",
    path: "/sdapi/v1/refresh-vae",
    summary: "Rescan separate VAEs (there are none)",
    response: NullBody,
  }),
  "unload-checkpoint": route("unload-checkpoint", {
    method: "POST",
    path: "/sdapi/v1/unload-checkpoint",
    summary: "Free the loaded checkpoint (local backend)",
    response: EmptyObject,
    timeout: MODEL_LIST_TIMEOUT,
  }),
  "reload-checkpoint": route("reload-checkpoint", {
    method: "POST",
    path: "/sdapi/v1/reload-checkpoint",
    summary: "Load the selected checkpoint again (local backend)",
    response: EmptyObject,
    timeout: MODEL_LIST_TIMEOUT,
  }),
  interrogate: notInSerena("interrogate", "POST", "/sdapi/v1/interrogate", "Caption an image with CLIP or DeepDanbooru"),
  "create-embedding": notInSerena("create-embedding", "POST", "/sdapi/v1/create/embedding", "Create a textual inversion embedding"),
  "create-hypernetwork": notInSerena("create-hypernetwork", "POST", "/sdapi/v1/create/hypernetwork", "Create a hypernetwork"),
  "train-embedding": notInSerena("train-embedding", "POST", "/sdapi/v1/train/embedding", "Train a textual inversion embedding"),
  "train-hypernetwork": notInSerena("train-hypernetwork", "POST", "/sdapi/v1/train/hypernetwork", "Train a hypernetwork"),
  "server-kill": notInSerena("server-kill", "POST", "/sdapi/v1/server-kill", "Kill the server process"),
  "server-restart": notInSerena("server-restart", "POST", "/sdapi/v1/server-restart", "Restart the server process"),
  "server-stop": notInSerena("server-stop", "POST", "/sdapi/v1/server-stop", "Stop the server"),
  sysinfo: route("sysinfo", {
    method: "GET",
    path: "/internal/sysinfo",
    summary: "System information as A1111's sysinfo JSON text",
    response: null,
    produces: "text/plain",
  }),
  ping: route("ping", { method: "GET", path: "/internal/ping", summary: "Liveness", response: EmptyObject }),
  openapi: route("openapi", {
    method: "GET",
    path: "/openapi.json",
    summary: "This OpenAPI document",
    response: z.record(z.string(), z.unknown()),
  }),
  docs: route("docs", { method: "GET", path: "/docs", summary: "Interactive API reference (Swagger UI)", response: null, produces: "text/html" }),
  "docs-asset": route("docs-asset", {
    method: "GET",
    path: "/docs/assets/{file}",
    summary: "Script and style files of the /docs page",
    response: null,
    produces: "text/javascript",
    install: ["swagger-ui-dist"],
  }),
  "jobs-create": route("jobs-create", {
    method: "POST",
    path: "/serena/v1/jobs",
    summary: "Submit a txt2img or img2img job (Serena)",
    body: JobCreateRequest,
    response: JobCreated,
    status: 202,
    // The CI fake stands in for the backend that runs a job started in this process, as for txt2img.
    generation: true,
    memory: 1024,
  }),
  "jobs-get": route("jobs-get", {
    method: "GET",
    path: "/serena/v1/jobs/{id}",
    summary: "A job's status, progress, timing, result URLs or error (Serena)",
    response: JobView,
  }),
  "jobs-cancel": route("jobs-cancel", {
    method: "DELETE",
    path: "/serena/v1/jobs/{id}",
    summary: "Cancel a queued or running job (Serena)",
    response: JobView,
  }),
} satisfies Record<string, RouteDefinition>;

export type RouteName = keyof typeof ROUTE;

/** The table as a list, in declaration order. */
export const ROUTES: readonly RouteDefinition[] = Object.values(ROUTE);

export const routeKey = (r: Pick<RouteDefinition, "method" | "path">) => `${r.method} ${r.path}`;
