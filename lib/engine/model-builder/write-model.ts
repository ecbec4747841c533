import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildTextEncoderGraph } from "./clip-text.ts";
import type { ModelConfig } from "./configs.ts";
import type { ExportGraph, FloatType, LinearWeightLayout } from "./export-graph.ts";
import { buildUNetGraph } from "./unet.ts";
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from "./vae.ts";
import { writeOnnxModel } from "./write-onnx.ts";
import type { WriteProgress } from "./write-onnx.ts";

/** The CLIP tokenizer files every SD 1.x/2.x folder carries (assets/clip-tokenizer/README.md). */
export const CLIP_TOKENIZER_DIR = join(import.meta.dirname, "../../../assets/clip-tokenizer");

export const DEFAULT_MODEL_SEED = 1;

export interface BuildOptions {
  /** Weights and IO in float32 or float16 (an fp16 export: float16 everywhere, computation included). Default float32. */
  readonly floatType?: FloatType;
  /** Default "folded", as optimum's exports (torch.onnx.export with constant folding) have them. */
  readonly linearWeights?: LinearWeightLayout;
  /** Also output `hidden_states.0..N` from the text encoder. */
  readonly textEncoderHiddenStates?: boolean;
}

export interface WriteModelOptions extends BuildOptions {
  /** Seed of every weight: the same seed, config and options give byte-identical folders. */
  readonly seed?: number;
  /** Leave out vae_encoder (a txt2img-only folder). */
  readonly withoutVaeEncoder?: boolean;
  readonly tokenizerDir?: string;
  readonly onProgress?: (progress: WriteProgress) => void;
}

export type ComponentName = "text_encoder" | "unet" | "vae_decoder" | "vae_encoder";

/** Builds one component's graph (parameters declared, no weights). */
export function buildComponentGraph(config: ModelConfig, component: ComponentName, options: BuildOptions = {}): ExportGraph {
  const graphOptions = { floatType: options.floatType ?? "float32", linearWeights: options.linearWeights ?? "folded" } as const;
  switch (component) {
    case "text_encoder":
      return buildTextEncoderGraph(config.textEncoder, graphOptions, { hiddenStates: options.textEncoderHiddenStates ?? false });
    case "unet":
      return buildUNetGraph(config.unet, graphOptions);
    case "vae_decoder":
      return buildVaeDecoderGraph(config.vae, graphOptions);
    case "vae_encoder":
      return buildVaeEncoderGraph(config.vae, graphOptions);
  }
}

const DIFFUSERS_VERSION = "0.30.3";

/** The JSON files optimum writes beside the ONNX files (and model_index.json, as the source pipeline saved it). */
export function folderConfigs(config: ModelConfig, options: WriteModelOptions = {}): Record<string, unknown> {
  const torchDtype = (options.floatType ?? "float32") === "float16" ? "float16" : "float32";
  const vae = { _class_name: "AutoencoderKL", _diffusers_version: DIFFUSERS_VERSION, ...config.vae };
  const files: Record<string, unknown> = {
    "model_index.json": {
      _class_name: config.unet.in_channels === config.vae.latent_channels + 5 ? "StableDiffusionInpaintPipeline" : "StableDiffusionPipeline",
      _diffusers_version: DIFFUSERS_VERSION,
      feature_extractor: [null, null],
      image_encoder: [null, null],
      requires_safety_checker: false,
      safety_checker: [null, null],
      scheduler: ["diffusers", config.scheduler._class_name],
      text_encoder: ["transformers", "CLIPTextModel"],
      tokenizer: ["transformers", "CLIPTokenizer"],
      unet: ["diffusers", "UNet2DConditionModel"],
      vae: ["diffusers", "AutoencoderKL"],
    },
    "scheduler/scheduler_config.json": { ...config.scheduler, _diffusers_version: DIFFUSERS_VERSION },
    "text_encoder/config.json": {
      architectures: ["CLIPTextModel"],
      model_type: "clip_text_model",
      attention_dropout: 0,
      dropout: 0,
      initializer_factor: 1,
      initializer_range: 0.02,
      torch_dtype: torchDtype,
      ...config.textEncoder,
    },
    "unet/config.json": { _class_name: "UNet2DConditionModel", _diffusers_version: DIFFUSERS_VERSION, ...config.unet },
    "vae_decoder/config.json": vae,
  };
  if (options.withoutVaeEncoder !== true) files["vae_encoder/config.json"] = vae;
  return files;
}

async function writeTokenizer(dir: string, sourceDir: string, padToken: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await copyFile(join(sourceDir, "vocab.json"), join(dir, "vocab.json"));
  await copyFile(join(sourceDir, "merges.txt"), join(dir, "merges.txt"));
  for (const name of ["tokenizer_config.json", "special_tokens_map.json"]) {
    const source = JSON.parse(await readFile(join(sourceDir, name), "utf8")) as Record<string, unknown>;
    await writeFile(join(dir, name), `${JSON.stringify({ ...source, pad_token: padToken }, null, 2)}\n`);
  }
}

/**
 * Writes a complete optimum-layout ONNX Stable Diffusion folder into `dir`: model_index.json, scheduler/, tokenizer/
 * (copied from assets/clip-tokenizer), and text_encoder/, unet/, vae_decoder/, vae_encoder/ each with model.onnx,
 * model.onnx_data and config.json. Components are written one after another, weights streamed (write-onnx.ts).
 */
export async function writeModel(dir: string, config: ModelConfig, options: WriteModelOptions = {}): Promise<void> {
  const seed = options.seed ?? DEFAULT_MODEL_SEED;
  const components: ComponentName[] = ["text_encoder", "unet", "vae_decoder"];
  if (options.withoutVaeEncoder !== true) components.push("vae_encoder");
  for (const component of components) {
    const folder = join(dir, component);
    await mkdir(folder, { recursive: true });
    // Weights are keyed by state_dict name, so vae_encoder and vae_decoder hold the two halves of one AutoencoderKL.
    await writeOnnxModel(buildComponentGraph(config, component, options), folder, {
      seed,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
  }
  for (const [path, contents] of Object.entries(folderConfigs(config, options))) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), `${JSON.stringify(contents, null, 2)}\n`);
  }
  await writeTokenizer(join(dir, "tokenizer"), options.tokenizerDir ?? CLIP_TOKENIZER_DIR, config.padToken);
}
