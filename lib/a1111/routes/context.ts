/**
 * What a route implementation may use besides its request: the ports the platform layer implements (settings, the
 * inference backend, progress, the image bucket, async jobs) and a few facts about the server. Routes depend on
 * these interfaces only, never on HTTP, S3 or Lambda.
 */
import type { InferenceBackend } from "../backend.ts";
import type { GenerationHooks, GenerationJob } from "../generation/job.ts";
import type { JobView } from "../schemas/jobs.ts";
import type { Options } from "../schemas/options.ts";
import type { ProgressResponse } from "../schemas/system.ts";

/** Settings as `/sdapi/v1/options` shows and changes them (A1111 keeps them in config.json). */
export interface OptionsStore {
  get(): Promise<Options>;
  update(patch: Partial<Options>): Promise<Options>;
}

/** A1111's shared `state`: the running generation's progress and the interrupt/skip requests addressed to it. */
export interface ProgressPort {
  /** Tracks a generation this process runs; returns the hooks for the backend and a function to call at its end. */
  begin(job: "scripts_txt2img" | "scripts_img2img", jobCount: number, steps: number): { hooks: GenerationHooks; end: () => void };
  snapshot(): Promise<ProgressResponse>;
  interrupt(): Promise<void>;
  skip(): Promise<void>;
}

/** Generated images kept in the bucket, handed to clients as presigned URLs. */
export interface ImageStore {
  /** Stores one generation's images under `id`; returns their keys in order. */
  store(id: string, images: readonly Buffer[]): Promise<string[]>;
  presign(keys: readonly string[]): Promise<string[]>;
}

/** Serena's asynchronous jobs. */
export interface JobsPort {
  /** Stores and starts a validated job; returns its id. */
  submit(job: GenerationJob, webhook: string | null): Promise<string>;
  view(id: string): Promise<JobView | null>;
  /** Cancels a queued or running job; "finished" when it had already ended; null when there is no such job. */
  cancel(id: string): Promise<JobView | { finished: JobView } | null>;
}

/** Server facts some routes report (`/cmd-flags`) or obey (the response size limit). */
export interface ServerFacts {
  /** Responses whose images would pass this size are stored in the bucket and returned as URLs. */
  readonly maxResponseBytes: number;
  readonly apiAuth: boolean;
  readonly host: string;
  readonly port: number;
  readonly corsAllowOrigins: readonly string[];
  readonly backendName: string;
}

export interface RouteServices {
  readonly options: OptionsStore;
  readonly progress: ProgressPort;
  /** The bucket, or null when none is configured. */
  readonly images: ImageStore | null;
  readonly jobs: JobsPort;
  readonly server: ServerFacts;
}

export interface RouteContext {
  readonly services: RouteServices;
  /** The backend for this request: the configured one, or the CI fake. */
  readonly backend: InferenceBackend;
  readonly requestId: string;
}
