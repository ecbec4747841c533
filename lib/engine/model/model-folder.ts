import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import * as z from "zod";
import { ModelLoadError } from "./model-load-error.ts";

/** SD 1.x/2.x VAE scaling factor, used when vae_decoder/config.json is absent (diffusers-script exports). */
export const DEFAULT_VAE_SCALING_FACTOR = 0.18215;

/**
 * SDXL's VAE scaling factor (stabilityai/stable-diffusion-xl-base-1.0 vae/config.json, and madebyollin/sdxl-vae-fp16-fix,
 * the same latent space), used for an SDXL folder without vae_decoder/config.json.
 */
export const SDXL_VAE_SCALING_FACTOR = 0.13025;

export type PredictionType = "epsilon" | "v_prediction";

/** The scheduler_config.json fields k-diffusion sampling needs (docs/engine-reference.md §1.1). */
export interface NoiseScheduleConfig {
  readonly betaStart: number;
  readonly betaEnd: number;
  readonly betaSchedule: string;
  readonly numTrainTimesteps: number;
  readonly trainedBetas: readonly number[] | null;
}

/** What the folder's files say, before any ONNX session is opened. */
export interface ModelFolder {
  readonly dir: string;
  readonly name: string;
  /** text_encoder/model.onnx; null in SDXL refiner folders, which have text_encoder_2 alone. */
  readonly textEncoderPath: string | null;
  /** SDXL's second text encoder (OpenCLIP ViT-bigG with projection), text_encoder_2/model.onnx; null before SDXL. */
  readonly textEncoder2Path: string | null;
  readonly unetPath: string;
  readonly vaeDecoderPath: string;
  /** null when the export has no VAE encoder (txt2img-only folders). */
  readonly vaeEncoderPath: string | null;
  /** tokenizer/ (tokenizer_2/ in a refiner folder, which has no other). */
  readonly tokenizerDir: string;
  /** SDXL's tokenizer_2/, with its own pad token ("!" where tokenizer/ pads with "<|endoftext|>"); null before SDXL. */
  readonly tokenizer2Dir: string | null;
  readonly predictionType: PredictionType;
  readonly noiseSchedule: NoiseScheduleConfig;
  readonly vaeScalingFactor: number;
  /** `latent_channels` from an optimum vae_decoder/config.json, when present. */
  readonly vaeLatentChannels: number | null;
  /** The tokenizer's pad token text ("<|endoftext|>" for SD 1.x, "!" for SD 2.x), when declared. */
  readonly padToken: string | null;
  /** tokenizer_2's pad token text, when declared. */
  readonly padToken2: string | null;
  /** `in_channels` from an optimum unet/config.json, when present (9 for inpainting UNets). */
  readonly unetInChannels: number | null;
  /** model_index.json's `_class_name` (e.g. "OnnxStableDiffusionInpaintPipeline"): a hint only, never trusted alone. */
  readonly pipelineClass: string | null;
}

const ModelIndexSchema = z.looseObject({ _class_name: z.string().optional() });

// prediction_type defaults to "epsilon" as in diffusers' schedulers: SD 1.x configs predate the field.
const SchedulerConfigSchema = z.looseObject({
  beta_start: z.number().positive(),
  beta_end: z.number().positive(),
  beta_schedule: z.string(),
  num_train_timesteps: z.number().int().positive(),
  prediction_type: z.enum(["epsilon", "v_prediction"]).default("epsilon"),
  trained_betas: z.array(z.number()).nullable().default(null),
});

const UnetConfigSchema = z.looseObject({ in_channels: z.number().int().positive().optional() });

const VaeConfigSchema = z.looseObject({
  scaling_factor: z.number().positive().optional(),
  latent_channels: z.number().int().positive().optional(),
});

// tokenizer_config.json stores tokens as a string or as {"__type": "AddedToken", "content": …} (docs/engine-reference.md §1.1).
const TokenSchema = z.union([z.string(), z.looseObject({ content: z.string() })]).nullable().optional();
const TokenizerConfigSchema = z.looseObject({ pad_token: TokenSchema });

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ModelLoadError(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(path, `is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ModelLoadError(path, `has unexpected contents: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

async function readOptionalJson<T>(path: string, schema: z.ZodType<T>): Promise<T | null> {
  return existsSync(path) ? readJson(path, schema) : null;
}

function requireFile(path: string, why: string): string {
  if (!existsSync(path)) throw new ModelLoadError(path, `missing: ${why}`);
  return path;
}

async function readPadToken(tokenizerDir: string): Promise<string | null> {
  for (const name of ["special_tokens_map.json", "tokenizer_config.json"]) {
    const config = await readOptionalJson(join(tokenizerDir, name), TokenizerConfigSchema);
    const pad = config?.pad_token;
    if (pad !== undefined && pad !== null) return typeof pad === "string" ? pad : pad.content;
  }
  return null;
}

/**
 * Reads and checks a diffusers/optimum ONNX folder (docs/engine-reference.md §1.1): model_index.json, the three required ONNX
 * components, the optional VAE encoder, the tokenizer, scheduler_config.json and the VAE config. Only the layout is
 * trusted, never `_class_name`. SDXL folders (optimum's StableDiffusionXL export) add text_encoder_2/ and tokenizer_2/;
 * a refiner folder has those alone, without text_encoder/ or tokenizer/ (stabilityai/stable-diffusion-xl-refiner-1.0's
 * model_index.json names no text_encoder); whether a folder is SDXL is settled by the UNet's inputs (model-facts.ts).
 */
export async function readModelFolder(dirArgument: string): Promise<ModelFolder> {
  const dir = resolve(dirArgument);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelLoadError(dir, "model folder does not exist");

  const indexPath = requireFile(join(dir, "model_index.json"), "not a diffusers ONNX model folder");
  const modelIndex = await readJson(indexPath, ModelIndexSchema);

  const component = (name: string) => join(dir, name, "model.onnx");
  const textEncoder2Path = existsSync(component("text_encoder_2")) ? component("text_encoder_2") : null;
  const textEncoderPath =
    textEncoder2Path !== null && !existsSync(join(dir, "text_encoder")) ? null : requireFile(component("text_encoder"), "the text encoder is required");
  const unetPath = requireFile(component("unet"), "the UNet is required");
  const vaeDecoderPath = requireFile(component("vae_decoder"), "the VAE decoder is required");
  const vaeEncoderPath = existsSync(component("vae_encoder")) ? component("vae_encoder") : null;

  const tokenizer2Dir = textEncoder2Path === null ? null : join(dir, "tokenizer_2");
  const tokenizerDir = textEncoderPath === null ? tokenizer2Dir! : join(dir, "tokenizer");
  for (const tokenizer of new Set([tokenizerDir, tokenizer2Dir])) {
    if (tokenizer === null || existsSync(join(tokenizer, "tokenizer.json"))) continue;
    requireFile(join(tokenizer, "vocab.json"), "the CLIP tokenizer needs vocab.json and merges.txt (or tokenizer.json)");
    requireFile(join(tokenizer, "merges.txt"), "the CLIP tokenizer needs vocab.json and merges.txt (or tokenizer.json)");
  }

  const schedulerPath = requireFile(join(dir, "scheduler", "scheduler_config.json"), "the noise schedule is read from it");
  const scheduler = await readJson(schedulerPath, SchedulerConfigSchema);
  const vaeConfig = await readOptionalJson(join(dir, "vae_decoder", "config.json"), VaeConfigSchema);
  const unetConfig = await readOptionalJson(join(dir, "unet", "config.json"), UnetConfigSchema);

  return {
    dir,
    name: basename(dir),
    textEncoderPath,
    textEncoder2Path,
    unetPath,
    vaeDecoderPath,
    vaeEncoderPath,
    tokenizerDir,
    tokenizer2Dir,
    predictionType: scheduler.prediction_type,
    noiseSchedule: {
      betaStart: scheduler.beta_start,
      betaEnd: scheduler.beta_end,
      betaSchedule: scheduler.beta_schedule,
      numTrainTimesteps: scheduler.num_train_timesteps,
      trainedBetas: scheduler.trained_betas,
    },
    vaeScalingFactor: vaeConfig?.scaling_factor ?? (textEncoder2Path === null ? DEFAULT_VAE_SCALING_FACTOR : SDXL_VAE_SCALING_FACTOR),
    vaeLatentChannels: vaeConfig?.latent_channels ?? null,
    padToken: await readPadToken(tokenizerDir),
    padToken2: tokenizer2Dir === null ? null : await readPadToken(tokenizer2Dir),
    unetInChannels: unetConfig?.in_channels ?? null,
    pipelineClass: modelIndex._class_name ?? null,
  };
}
