/**
 * A generation as the A1111 layer sees it: the request body and the settings in force in, the response's images and
 * `info` out. Every inference backend (in-process, Lambda, GPU endpoint, the CI fake) takes and returns these.
 */
import type { GenerationTimings, ProgressUpdate } from "../../engine/plan.ts";
import type { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";
import type { GenerationInfo } from "../schemas/generation-response.ts";
import type { Options } from "../schemas/options.ts";

export type { GenerationTimings, ProgressUpdate };

export type GenerationJob =
  | { type: "txt2img"; request: Txt2ImgRequest; options: Options }
  | { type: "img2img"; request: Img2ImgRequest; options: Options };

export interface GenerationOutput {
  /** Encoded image files (PNG unless options.samples_format says otherwise), one per image. */
  images: Buffer[];
  /** Images a remote worker stored in the bucket instead of returning them (too large, or save_images). */
  storedImageKeys?: string[];
  info: GenerationInfo;
  /** Settings the request set that the chosen sampler does not read (Serena says so rather than ignore them silently). */
  warnings?: string[];
  /** Where the time went, in milliseconds (engines that measure it; the benchmark and logs read it). */
  timings?: GenerationTimings;
}

export interface GenerationHooks {
  /** The async job this generation belongs to: remote workers report its progress and watch it for cancellation. */
  jobId?: string;
  /** Called when the backend starts the generation (it may have waited in the backend's queue). */
  onStart?: () => void;
  onProgress?: (update: ProgressUpdate) => void;
  /** Polled between steps: "interrupt" stops sampling and returns what exists; "skip" ends the current batch. */
  control?: () => "interrupt" | "skip" | null;
}
