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
  /** Also output `hidden_states.0..N` from the text encoder (SDXL's two encoders always have them, as optimum exports them). */
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

export type ComponentName = "text_encoder" | "text_encoder_2" | "unet" | "vae_decoder" | "vae_encoder";

/** The components a config has, in the order they are written. */
export function componentsOf(config: ModelConfig, options: Pick<WriteModelOptions, "withoutVaeEncoder"> = {}): ComponentName[] {
  const components: ComponentName[] = [];
  if (config.textEncoder !== null) components.push("text_encoder");
  if (config.textEncoder2 !== undefined) components.push("text_encoder_2");
  components.push("unet", "vae_decoder");
  if (options.withoutVaeEncoder !== true) components.push("vae_encoder");
  return components;
}

/** Builds one component's graph (parameters declared, no weights). */
export function buildComponentGraph(config: ModelConfig, component: ComponentName, options: BuildOptions = {}): ExportGraph {
  const graphOptions = { floatType: options.floatType ?? "float32", linearWeights: options.linearWeights ?? "folded" } as const;
  // optimum sets output_hidden_states on both text encoders of an SDXL pipeline (`_get_submodels_for_export_diffusion`).
  const sdxl = config.textEncoder2 !== undefined;
  const hiddenStates = (options.textEncoderHiddenStates ?? false) || sdxl;
  switch (component) {
    case "text_encoder":
      if (config.textEncoder === null) throw new RangeError("this config has no text_encoder (an SDXL refiner has text_encoder_2 only)");
      return buildTextEncoderGraph(config.textEncoder, graphOptions, { hiddenStates });
    case "text_encoder_2":
      if (!sdxl) throw new RangeError("this config has no text_encoder_2 (SDXL only)");
      return buildTextEncoderGraph(config.textEncoder2.config, graphOptions, { hiddenStates, withProjection: true });
    case "unet":
      return buildUNetGraph(config.unet, graphOptions, sdxl ? { textEmbedsWidth: config.textEncoder2.config.projection_dim } : {});
    case "vae_decoder":
      return buildVaeDecoderGraph(config.vae, graphOptions);
    case "vae_encoder":
      return buildVaeEncoderGraph(config.vae, graphOptions);
  }
}

const DIFFUSERS_VERSION = "0.30.3";

/**
 * model_index.json as diffusers saves the source pipeline (optimum copies it): SD's StableDiffusionPipeline, or
 * SDXL's StableDiffusionXLPipeline / StableDiffusionXLImg2ImgPipeline (the refiner: no text_encoder, an aesthetic
 * score among its time ids), as in stabilityai/stable-diffusion-xl-base-1.0 and -refiner-1.0's model_index.json.
 */
function modelIndex(config: ModelConfig): Record<string, unknown> {
  const common = {
    _diffusers_version: DIFFUSERS_VERSION,
    scheduler: ["diffusers", config.scheduler._class_name],
    unet: ["diffusers", "UNet2DConditionModel"],
    vae: ["diffusers", "AutoencoderKL"],
  };
  if (config.textEncoder2 !== undefined) {
    const refiner = config.textEncoder === null;
    return {
      _class_name: refiner ? "StableDiffusionXLImg2ImgPipeline" : "StableDiffusionXLPipeline",
      ...common,
      force_zeros_for_empty_prompt: !refiner,
      ...(refiner ? { requires_aesthetics_score: true } : {}),
      text_encoder: refiner ? [null, null] : ["transformers", "CLIPTextModel"],
      text_encoder_2: ["transformers", "CLIPTextModelWithProjection"],
      tokenizer: refiner ? [null, null] : ["transformers", "CLIPTokenizer"],
      tokenizer_2: ["transformers", "CLIPTokenizer"],
    };
  }
  return {
    _class_name: config.unet.in_channels === config.vae.latent_channels + 5 ? "StableDiffusionInpaintPipeline" : "StableDiffusionPipeline",
    ...common,
    feature_extractor: [null, null],
    image_encoder: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    text_encoder: ["transformers", "CLIPTextModel"],
    tokenizer: ["transformers", "CLIPTokenizer"],
  };
}

/** The JSON files optimum writes beside the ONNX files (and model_index.json, as the source pipeline saved it). */
export function folderConfigs(config: ModelConfig, options: WriteModelOptions = {}): Record<string, unknown> {
  const torchDtype = (options.floatType ?? "float32") === "float16" ? "float16" : "float32";
  const vae = { _class_name: "AutoencoderKL", _diffusers_version: DIFFUSERS_VERSION, ...config.vae };
  const text = (architecture: string, textConfig: object) => ({
    architectures: [architecture],
    model_type: "clip_text_model",
    attention_dropout: 0,
    dropout: 0,
    initializer_factor: 1,
    initializer_range: 0.02,
    torch_dtype: torchDtype,
    ...textConfig,
  });
  const files: Record<string, unknown> = {
    "model_index.json": modelIndex(config),
    "scheduler/scheduler_config.json": { ...config.scheduler, _diffusers_version: DIFFUSERS_VERSION },
  };
  if (config.textEncoder !== null) files["text_encoder/config.json"] = text("CLIPTextModel", config.textEncoder);
  if (config.textEncoder2 !== undefined) files["text_encoder_2/config.json"] = text("CLIPTextModelWithProjection", config.textEncoder2.config);
  files["unet/config.json"] = { _class_name: "UNet2DConditionModel", _diffusers_version: DIFFUSERS_VERSION, ...config.unet };
  files["vae_decoder/config.json"] = vae;
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
 * model.onnx_data and config.json; SDXL configs add text_encoder_2/ and tokenizer_2/ (refiners have no
 * text_encoder/ or tokenizer/). Components are written one after another, weights streamed (write-onnx.ts).
 */
export async function writeModel(dir: string, config: ModelConfig, options: WriteModelOptions = {}): Promise<void> {
  const seed = options.seed ?? DEFAULT_MODEL_SEED;
  for (const component of componentsOf(config, options)) {
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
  const tokenizerSource = options.tokenizerDir ?? CLIP_TOKENIZER_DIR;
  if (config.textEncoder !== null) await writeTokenizer(join(dir, "tokenizer"), tokenizerSource, config.padToken);
  if (config.textEncoder2 !== undefined) await writeTokenizer(join(dir, "tokenizer_2"), tokenizerSource, config.textEncoder2.padToken);
}
