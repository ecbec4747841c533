/**
 * The engine's contract, in engine terms: a validated generation plan in (prompts per image, sizes, seeds and noise
 * settings, the sampler and every setting it reads, init images, hires pass) and pixels out, with the facts about
 * the run that only the engine knows. Nothing here knows HTTP, JSON field names, infotext or image files: the A1111
 * layer builds the plan from a request and turns the result into A1111's response (docs/architecture.md).
 */
import type { PilImage } from "./image/pil-image.ts";
import type { SamplerSettings } from "./samplers/registry.ts";
import type { EmphasisMode } from "./prompts/chunks.ts";
import type { SdxlTextOptions } from "./pipeline/sdxl-conditioner.ts";
import type { RandnSource } from "./rng/source.ts";

/** 8-bit RGB pixels, interleaved, row-major. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** One sampling pass: which sampler on which schedule, and every setting the sampler or the guidance reads. */
export interface SamplingSpec {
  /** A sampler name or alias from the registry (lib/engine/samplers/registry.ts). */
  readonly sampler: string;
  /** A scheduler name or label; "Automatic" means the sampler's own default. */
  readonly scheduler: string;
  readonly steps: number;
  readonly cfgScale: number;
  readonly settings: SamplerSettings;
  /** Schedule overrides, 0 for the schedule's own value (A1111 opts.sigma_min, sigma_max, rho). */
  readonly sigmaMin: number;
  readonly sigmaMax: number;
  readonly rho: number;
  /** The Beta schedule's shape (A1111 opts.beta_dist_alpha, beta_dist_beta). */
  readonly betaAlpha: number;
  readonly betaBeta: number;
  /** Drop the penultimate σ for every sampler (A1111 opts.always_discard_next_to_last_sigma). */
  readonly alwaysDiscardPenultimate: boolean;
  /**
   * Negative guidance minimum sigma (A1111 `s_min_uncond`, infotext "NGMS"): below this σ the uncond pass is
   * skipped on every other model call (on every call with `sMinUncondAllSteps`); 0 is off.
   */
  readonly sMinUncond: number;
  readonly sMinUncondAllSteps: boolean;
  /** A1111 opts.skip_early_cond: the uncond pass is skipped while call/total ≤ this fraction; 0 is off. */
  readonly skipEarlyCond: number;
}

export interface NoiseSpec {
  /** A1111 opts.randn_source ("GPU" is served by the NV Philox generator). */
  readonly source: RandnSource;
  /** A1111 ENSD: the generators are reseeded with seed + delta after the initial noise; 0 is off. */
  readonly etaNoiseSeedDelta: number;
}

export interface TextSpec {
  readonly emphasis: EmphasisMode;
  readonly commaPaddingBacktrack: number;
  /** A1111 `CLIP_stop_at_last_layers`: 1 uses the text encoder's last layer. */
  readonly clipSkip: number;
  /**
   * SDXL models only: A1111's opts.sdxl_crop_top/left and the refiner's opts.sdxl_refiner_high/low_aesthetic_score
   * (defaults 0, 0, 6, 2.5 when absent).
   */
  readonly sdxl?: SdxlTextOptions;
}

export interface Img2ImgSpec {
  /** One image (used for every image of a batch) or one per image of a batch, at their own sizes. */
  readonly images: readonly RgbImage[];
  /** A1111 resize modes: 0 stretch, 1 crop, 2 fill, 3 latent resize. */
  readonly resizeMode: 0 | 1 | 2 | 3;
  readonly denoisingStrength: number;
  /** A1111 opts.img2img_fix_steps. */
  readonly fixSteps: boolean;
  /** A1111 `initial_noise_multiplier`. */
  readonly noiseMultiplier: number;
  /** Inpainting: repaint only where the mask says (A1111 img2img with `mask`), or null. */
  readonly inpaint: InpaintSpec | null;
}

/** What masked-area content sampling starts from (A1111 `inpainting_fill` 0–3). */
export type InpaintFill = "fill" | "original" | "latent noise" | "latent nothing";

/** A1111's inpainting inputs (modules/processing.py `StableDiffusionProcessingImg2Img.init`; docs/engine.md). */
export interface InpaintSpec {
  /**
   * The mask as the client sent it (L, RGB or RGBA): white marks what is repainted; an RGBA mask that is not fully
   * opaque is read from its alpha. The init images' size.
   */
  readonly mask: PilImage;
  /** Gaussian blur of the mask, horizontal and vertical σ in pixels (0: none). */
  readonly blurX: number;
  readonly blurY: number;
  /** Threshold the mask (and the latent mask) to 0/1 (A1111 `mask_round`). */
  readonly round: boolean;
  /** Repaint what the mask leaves out instead (A1111 `inpainting_mask_invert`). */
  readonly invert: boolean;
  readonly fill: InpaintFill;
  /**
   * "Only masked" (A1111 `inpaint_full_res`): generate the padded box around the mask at the full generation size and
   * paste it back; null for "Whole picture".
   */
  readonly onlyMasked: { readonly padding: number } | null;
  /** A separate mask for the latent blend and the fill (A1111 `latent_mask`), or null to use the processed mask. */
  readonly latentMask: PilImage | null;
  /** Paste the original pixels back outside the mask after decoding (A1111 opts.overlay_inpaint). */
  readonly overlay: boolean;
}

export type HiresUpscaler =
  | { readonly kind: "latent"; readonly mode: "bilinear" | "bicubic" | "nearest" | "nearest-exact"; readonly antialias: boolean }
  | { readonly kind: "image"; readonly name: string };

/** Hires fix's second pass (A1111 `sample_hr_pass`). */
export interface HiresSpec {
  /** The upscaled size (multiples of 8) before the crop to the target aspect. */
  readonly upscaleWidth: number;
  readonly upscaleHeight: number;
  /** Latent columns/rows cut off after upscaling, half on each side (A1111 `truncate_x`/`truncate_y`). */
  readonly truncateX: number;
  readonly truncateY: number;
  readonly upscaler: HiresUpscaler;
  readonly sampling: SamplingSpec;
  readonly denoisingStrength: number;
  readonly prompts: readonly string[];
  readonly negativePrompts: readonly string[];
  /** LoRAs for the second pass (A1111 activates the hires prompt's networks for it); none when absent. */
  readonly loras?: readonly LoraSpec[];
}

/**
 * A LoRA file applied to a pass with A1111's multipliers (`<lora:name:te:unet:dyn>`): `te` for the text encoder,
 * `unet` for the UNet, `dynDim` keeping only the first ranks (null: all).
 */
export interface LoraSpec {
  readonly path: string;
  readonly te: number;
  readonly unet: number;
  readonly dynDim: number | null;
}

/** A1111's refiner (`refiner_checkpoint`, `refiner_switch_at`; lib/engine/pipeline/refiner.ts). */
export interface RefinerSpec {
  /** The refiner's model folder; the engine loads it beside the base model and keeps it. */
  readonly modelDir: string;
  /** Switch once this fraction of the model's timesteps is done; null switches on the first model call. */
  readonly switchAt: number | null;
  /** With hires fix, the pass(es) the refiner may take over (A1111 opts.hires_fix_refiner_pass). */
  readonly hiresPass: "first pass" | "second pass" | "both passes";
  /** A1111 opts.refiner_switch_by_sample_steps: the fraction is model calls made over the pass's calls, not read off σ. */
  readonly bySteps?: boolean;
}

export interface GenerationPlan {
  /** First-pass size in pixels, multiples of 8. */
  readonly width: number;
  readonly height: number;
  readonly batchSize: number;
  /** How many batches run one after another (A1111 n_iter). */
  readonly batchCount: number;
  /** One per image (batchSize × batchCount), extra-network tags already removed. */
  readonly prompts: readonly string[];
  readonly negativePrompts: readonly string[];
  readonly seeds: readonly number[];
  readonly subseeds: readonly number[];
  readonly subseedStrength: number;
  /** Noise drawn at this size and centred ("Resize seed from"), or null. */
  readonly seedResizeFrom: { readonly width: number; readonly height: number } | null;
  readonly noise: NoiseSpec;
  readonly sampling: SamplingSpec;
  readonly text: TextSpec;
  readonly img2img: Img2ImgSpec | null;
  readonly hires: HiresSpec | null;
  /** LoRAs for the first pass (the prompts' `<lora:…>` tags, resolved to files); none when absent. */
  readonly loras?: readonly LoraSpec[];
  /**
   * Inpainting UNets only (9 input channels): how much of the image under the mask the conditioning image keeps out,
   * 1 masking it fully (A1111 opts.inpainting_mask_weight).
   */
  readonly inpaintingMaskWeight: number;
  /** The refiner, or absent/null for none. */
  readonly refiner?: RefinerSpec | null;
}

export interface ModelIdentity {
  readonly name: string;
  /** A1111's short hash (10 hex digits), or null when unknown. */
  readonly hash: string | null;
}

/** Where the time went, in milliseconds. */
export interface GenerationTimings {
  /** Init images, tokenising and text encoding. */
  prepare: number;
  /** Initial noise and the sampler loop, UNet calls included. */
  sampling: number;
  /** VAE decode and conversion to 8-bit pixels. */
  decoding: number;
  /** Image files with their infotexts (filled in by the layer that encodes them). */
  encoding: number;
}

/** What happened during sampling that the infotext records (A1111 adds these entries only when they applied). */
export interface SamplingEvents {
  /** The uncond pass was skipped below `sMinUncond` at least once ("NGMS"). */
  ngms: boolean;
  /** The uncond pass was skipped early in sampling ("Skip Early CFG"). */
  skipEarlyCond: boolean;
  /** The model took A1111's inpainting conditioning (an inpainting UNet; "Conditional mask weight"). */
  inpaintingConditioning: boolean;
  /** "Only masked" was asked for but the mask was blank, so the whole image was generated as plain img2img. */
  blankMask: boolean;
  /** The refiner that took over sampling at least once (A1111 then writes "Refiner" and "Refiner switch at"). */
  refiner?: ModelIdentity;
}

/** A textual-inversion embedding a text-encoder call used, and the sha256 of its file. */
export interface UsedEmbedding {
  readonly name: string;
  readonly hash: string;
}

export interface GenerationResult {
  /** The images made, in plan order; fewer than planned after an interrupt. */
  readonly images: RgbImage[];
  readonly model: ModelIdentity;
  readonly timings: GenerationTimings;
  readonly events: SamplingEvents;
  /**
   * The textual-inversion embeddings each text-encoder call of the first batch used, in A1111's call order (the
   * negative prompts', then the prompts'); absent from engines that do not say.
   */
  readonly textualInversions?: readonly (readonly UsedEmbedding[])[];
}

/** A1111's progress counters: which batch of how many, which sampling step of how many. */
export interface ProgressUpdate {
  readonly jobNo: number;
  readonly jobCount: number;
  readonly samplingStep: number;
  readonly samplingSteps: number;
}

export interface GenerationHooks {
  onProgress?: (update: ProgressUpdate) => void;
  /** Polled between steps: "interrupt" stops sampling and returns what exists; "skip" ends the current batch. */
  control?: () => "interrupt" | "skip" | null;
}

/** Which clip skips (A1111 `CLIP_stop_at_last_layers`) a model serves. */
export interface ClipSkipSupport {
  /** The deepest clip skip served (1: the last layer only); null when the model does not read the setting (SD 2.x). */
  readonly max: number | null;
  /** Why nothing deeper is served, or why the setting is not read: a sentence naming the model. */
  readonly reason: string;
}

export interface Engine {
  readonly model: ModelIdentity;
  generate(plan: GenerationPlan, hooks?: GenerationHooks): Promise<GenerationResult>;
  /**
   * Opens the refiner in `dir` beside the model now (plan.refiner would open it on its switch); true when it was not
   * open yet. Engines that cannot run a refiner leave it out.
   */
  openRefiner?(dir: string): Promise<boolean>;
  /**
   * Which clip skips the model serves (a plan asking for more fails with a "text.clipSkip" PlanError). Absent from
   * engines that serve any (the CI fake).
   */
  clipSkipSupport?(): Promise<ClipSkipSupport>;
  release(): Promise<void>;
}
