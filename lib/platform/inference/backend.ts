/**
 * The seam between the API tier and inference. Handlers call a backend chosen by configuration
 * (DESIGN.md §1): `local` runs the engine in this process's worker thread, `lambda` and `http` send the same
 * job to a separate inference tier, `none` answers 503. The CI fake (lib/platform/http/middlewares/ci-fake.ts) swaps in
 * a fake one.
 */
import type { Img2ImgRequest, Txt2ImgRequest } from "../../a1111/schemas/generation.ts";
import type { GenerationInfo } from "../../a1111/schemas/generation-response.ts";
import type { Options } from "../../a1111/schemas/options.ts";
import type { SDModelItem } from "../../a1111/schemas/catalog-items.ts";

export type GenerationJob =
  | { type: "txt2img"; request: Txt2ImgRequest; options: Options }
  | { type: "img2img"; request: Img2ImgRequest; options: Options };

export interface GenerationOutput {
  /** Encoded image files (PNG unless options.samples_format says otherwise), one per image. */
  images: Buffer[];
  /** Images a remote worker stored in the bucket instead of returning them (too large, or save_images). */
  storedImageKeys?: string[];
  info: GenerationInfo;
  /** Where the time went, in milliseconds (engines that measure it; the benchmark and logs read it). */
  timings?: GenerationTimings;
}

export interface GenerationTimings {
  /** Init images, tokenising and text encoding. */
  prepare: number;
  /** Initial noise and the sampler loop, UNet calls included. */
  sampling: number;
  /** VAE decode and conversion to 8-bit pixels. */
  decoding: number;
  /** Image files with their infotexts. */
  encoding: number;
}

export interface ProgressUpdate {
  /** 0-based index of the image batch (n_iter) being sampled, and how many there are. */
  jobNo: number;
  jobCount: number;
  samplingStep: number;
  samplingSteps: number;
}

export interface GenerationHooks {
  /** The async job this generation belongs to: remote workers report its progress and watch it for cancellation. */
  jobId?: string;
  onProgress?: (update: ProgressUpdate) => void;
  /** Polled between steps: "interrupt" stops sampling and returns what exists; "skip" ends the current batch. */
  control?: () => "interrupt" | "skip" | null;
}

export interface InferenceBackend {
  /** Shown in logs and in the `x-serena-backend` header. */
  readonly name: string;
  generate(job: GenerationJob, hooks?: GenerationHooks): Promise<GenerationOutput>;
  /** The checkpoints this backend can load, in `/sdapi/v1/sd-models` shape. */
  listModels(): Promise<SDModelItem[]>;
  /** Frees workers and connections (tests, shutdown). */
  close?(): Promise<void>;
}
