import { CLIP_MAX_LENGTH, CLIP_VOCAB_SIZE } from "./text-encoder-graph.ts";
import { textEncoderShapes } from "./text-encoder-graph.ts";
import { LATENT_CHANNELS, unetContextWidth } from "./unet-graph.ts";
import type { TinyModelSpec } from "./variants.ts";
import { SD_VAE_SCALING_FACTOR } from "./vae-weights.ts";

/** The JSON files of a model folder, keyed by their path inside it. */
export type FolderConfigs = Record<string, unknown>;

const ONNX_COMPONENT = ["diffusers", "OnnxRuntimeModel"];

/**
 * model_index.json. The diffusers script writes an OnnxStableDiffusionPipeline whose components are
 * OnnxRuntimeModel (e.g. Dia1Up/Meinamix-for-ONNX, diffusers 0.24.0); optimum saves the source pipeline's config
 * (optimum-onnx exporters/onnx/convert.py `model.save_config`). docs/engine-reference.md §1.1.
 */
function modelIndex(spec: TinyModelSpec, scheduler: string): unknown {
  if (spec.sdxl !== undefined) {
    // stabilityai/stable-diffusion-xl-base-1.0 and -refiner-1.0's model_index.json (diffusers 0.19 onwards).
    const refiner = spec.sdxl.refiner;
    return {
      _class_name: refiner ? "StableDiffusionXLImg2ImgPipeline" : "StableDiffusionXLPipeline",
      _diffusers_version: "0.30.3",
      feature_extractor: [null, null],
      force_zeros_for_empty_prompt: !refiner,
      image_encoder: [null, null],
      ...(refiner ? { requires_aesthetics_score: true } : {}),
      scheduler: ["diffusers", scheduler],
      text_encoder: refiner ? [null, null] : ["transformers", "CLIPTextModel"],
      text_encoder_2: ["transformers", "CLIPTextModelWithProjection"],
      tokenizer: refiner ? [null, null] : ["transformers", "CLIPTokenizer"],
      tokenizer_2: ["transformers", "CLIPTokenizer"],
      unet: ["diffusers", "UNet2DConditionModel"],
      vae: ["diffusers", "AutoencoderKL"],
    };
  }
  if (spec.exporter === "diffusers") {
    return {
      _class_name: "OnnxStableDiffusionPipeline",
      _diffusers_version: "0.24.0",
      feature_extractor: [null, null],
      requires_safety_checker: false,
      safety_checker: [null, null],
      scheduler: ["diffusers", scheduler],
      text_encoder: ONNX_COMPONENT,
      tokenizer: ["transformers", "CLIPTokenizer"],
      unet: ONNX_COMPONENT,
      vae_decoder: ONNX_COMPONENT,
      vae_encoder: ONNX_COMPONENT,
    };
  }
  return {
    _class_name: spec.unetInChannels === 9 ? "StableDiffusionInpaintPipeline" : "StableDiffusionPipeline",
    _diffusers_version: "0.30.3",
    feature_extractor: [null, null],
    image_encoder: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ["diffusers", scheduler],
    text_encoder: ["transformers", "CLIPTextModel"],
    tokenizer: ["transformers", "CLIPTokenizer"],
    unet: ["diffusers", "UNet2DConditionModel"],
    vae: ["diffusers", "AutoencoderKL"],
  };
}

/** SD 1.5's scheduler_config.json (docs/engine-reference.md §1.1); SD 2.x 768-v ships a DDIM one with v_prediction. */
function schedulerConfig(spec: TinyModelSpec, scheduler: string): unknown {
  return {
    _class_name: scheduler,
    _diffusers_version: spec.exporter === "diffusers" ? "0.24.0" : "0.30.3",
    beta_end: 0.012,
    beta_schedule: "scaled_linear",
    beta_start: 0.00085,
    clip_sample: false,
    num_train_timesteps: 1000,
    prediction_type: spec.predictionType,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: "leading",
    trained_betas: null,
  };
}

/** SDXL's VAE scaling factor (stabilityai/stable-diffusion-xl-base-1.0 vae/config.json). */
export const SDXL_VAE_SCALING_FACTOR = 0.13025;

function vaeConfig(spec: TinyModelSpec): unknown {
  return {
    _class_name: "AutoencoderKL",
    _diffusers_version: "0.30.3",
    in_channels: 3,
    latent_channels: LATENT_CHANNELS,
    out_channels: 3,
    sample_size: 512,
    scaling_factor: spec.family === "sdxl" ? SDXL_VAE_SCALING_FACTOR : SD_VAE_SCALING_FACTOR,
  };
}

/** Every JSON file the variant's exporter writes, except the tokenizer's (copied from the CLIP files). */
export function folderConfigs(spec: TinyModelSpec): FolderConfigs {
  // SDXL 1.0 ships EulerDiscreteScheduler with SD's scaled_linear betas.
  const scheduler = spec.family === "sd2" ? "DDIMScheduler" : spec.family === "sdxl" ? "EulerDiscreteScheduler" : "PNDMScheduler";
  const configs: FolderConfigs = {
    "model_index.json": modelIndex(spec, scheduler),
    "scheduler/scheduler_config.json": schedulerConfig(spec, scheduler),
  };
  if (spec.exporter === "diffusers") return configs;
  // optimum writes each submodel's config next to its model.onnx; vae_decoder/config.json holds scaling_factor.
  for (const shape of textEncoderShapes(spec)) {
    configs[`${shape.component}/config.json`] = {
      architectures: [shape.projection === null ? "CLIPTextModel" : "CLIPTextModelWithProjection"],
      hidden_act: shape.component === "text_encoder_2" ? "gelu" : "quick_gelu",
      hidden_size: shape.hidden,
      intermediate_size: shape.hidden,
      max_position_embeddings: CLIP_MAX_LENGTH,
      model_type: "clip_text_model",
      num_attention_heads: 1,
      num_hidden_layers: shape.layers,
      ...(shape.projection === null ? {} : { projection_dim: shape.projection }),
      torch_dtype: spec.floatType,
      vocab_size: CLIP_VOCAB_SIZE,
    };
  }
  configs["unet/config.json"] = {
    _class_name: "UNet2DConditionModel",
    _diffusers_version: "0.30.3",
    cross_attention_dim: unetContextWidth(spec),
    in_channels: spec.unetInChannels,
    ...(spec.sdxl === undefined ? {} : { addition_embed_type: "text_time" }),
    out_channels: LATENT_CHANNELS,
    sample_size: 64,
  };
  configs["vae_decoder/config.json"] = vaeConfig(spec);
  configs["vae_encoder/config.json"] = vaeConfig(spec);
  return configs;
}

/**
 * tokenizer_config.json / special_tokens_map.json for the variant: the SD 1.x files as they are, or with SD 2.x's
 * pad token "!" (id 0; docs/engine-reference.md §6.1). `pad_token` is a plain string in both files.
 */
export function tokenizerJson(source: Record<string, unknown>, padToken: string): Record<string, unknown> {
  return { ...source, pad_token: padToken };
}

/**
 * The tokenizer folders and their pad tokens: tokenizer/ with the variant's, and for SDXL tokenizer_2/ with "!"
 * (OpenCLIP pads with id 0; stabilityai/stable-diffusion-xl-base-1.0 tokenizer_2/special_tokens_map.json). A refiner
 * has tokenizer_2/ alone.
 */
export function tokenizerFolders(spec: TinyModelSpec): [string, string][] {
  if (spec.sdxl === undefined) return [["tokenizer", spec.padToken]];
  const second: [string, string] = ["tokenizer_2", "!"];
  return spec.sdxl.refiner ? [second] : [["tokenizer", spec.padToken], second];
}
