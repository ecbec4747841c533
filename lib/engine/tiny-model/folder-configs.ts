import { CLIP_MAX_LENGTH, CLIP_VOCAB_SIZE } from "./text-encoder-graph.ts";
import { LATENT_CHANNELS } from "./unet-graph.ts";
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

function vaeConfig(): unknown {
  return {
    _class_name: "AutoencoderKL",
    _diffusers_version: "0.30.3",
    in_channels: 3,
    latent_channels: LATENT_CHANNELS,
    out_channels: 3,
    sample_size: 512,
    scaling_factor: SD_VAE_SCALING_FACTOR,
  };
}

/** Every JSON file the variant's exporter writes, except the tokenizer's (copied from the CLIP files). */
export function folderConfigs(spec: TinyModelSpec): FolderConfigs {
  const scheduler = spec.family === "sd2" ? "DDIMScheduler" : "PNDMScheduler";
  const configs: FolderConfigs = {
    "model_index.json": modelIndex(spec, scheduler),
    "scheduler/scheduler_config.json": schedulerConfig(spec, scheduler),
  };
  if (spec.exporter === "diffusers") return configs;
  // optimum writes each submodel's config next to its model.onnx; vae_decoder/config.json holds scaling_factor.
  configs["text_encoder/config.json"] = {
    architectures: ["CLIPTextModel"],
    hidden_act: "quick_gelu",
    hidden_size: spec.textHiddenSize,
    intermediate_size: spec.textHiddenSize,
    max_position_embeddings: CLIP_MAX_LENGTH,
    model_type: "clip_text_model",
    num_attention_heads: 1,
    num_hidden_layers: 1,
    torch_dtype: spec.floatType,
    vocab_size: CLIP_VOCAB_SIZE,
  };
  configs["unet/config.json"] = {
    _class_name: "UNet2DConditionModel",
    _diffusers_version: "0.30.3",
    cross_attention_dim: spec.textHiddenSize,
    in_channels: spec.unetInChannels,
    out_channels: LATENT_CHANNELS,
    sample_size: 64,
  };
  configs["vae_decoder/config.json"] = vaeConfig();
  configs["vae_encoder/config.json"] = vaeConfig();
  return configs;
}

/**
 * tokenizer_config.json / special_tokens_map.json for the variant: the SD 1.x files as they are, or with SD 2.x's
 * pad token "!" (id 0; docs/engine-reference.md §6.1). `pad_token` is a plain string in both files.
 */
export function tokenizerJson(source: Record<string, unknown>, spec: TinyModelSpec): Record<string, unknown> {
  return { ...source, pad_token: spec.padToken };
}
