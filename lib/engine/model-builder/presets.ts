import type { ClipTextConfig, ModelConfig, SchedulerConfig, UNetConfig, VaeConfig } from "./configs.ts";

/**
 * Model presets. `sd15` and `sd21` are the public configs of the real models, field for field where the field is
 * modelled here:
 *
 * - SD 1.5: huggingface.co/runwayml/stable-diffusion-v1-5 (now stable-diffusion-v1-5/stable-diffusion-v1-5),
 *   files unet/config.json, vae/config.json, text_encoder/config.json and scheduler/scheduler_config.json.
 * - SD 2.1 (768-v): huggingface.co/stabilityai/stable-diffusion-2-1, the same files; its text encoder is OpenCLIP
 *   ViT-H/14 with the last of its 24 layers dropped (23 layers, GELU, 1024 wide, 16 heads).
 *
 * - SDXL 1.0: huggingface.co/stabilityai/stable-diffusion-xl-base-1.0, files unet/config.json, vae/config.json,
 *   text_encoder/config.json (CLIP ViT-L, as SD 1.5's), text_encoder_2/config.json (OpenCLIP ViT-bigG/14 as
 *   transformers' CLIPTextModelWithProjection: 32 layers, GELU, 1280 wide, 20 heads, a 1280 × 1280 projection) and
 *   scheduler/scheduler_config.json (EulerDiscreteScheduler).
 *
 * `sd15-mid` and `sd15-tiny` keep SD 1.5's structure (the same block types, module names and IO) at smaller sizes;
 * `sdxl-tiny` and `sdxl-refiner-tiny` do the same for SDXL's base model and its refiner.
 */

const SD_SCHEDULER_COMMON = {
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  num_train_timesteps: 1000,
  clip_sample: false,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
} as const;

const SD15_SCHEDULER: SchedulerConfig = { _class_name: "PNDMScheduler", prediction_type: "epsilon", ...SD_SCHEDULER_COMMON };
const SD21_SCHEDULER: SchedulerConfig = { _class_name: "DDIMScheduler", prediction_type: "v_prediction", ...SD_SCHEDULER_COMMON };

const SD_UNET_COMMON = {
  in_channels: 4,
  out_channels: 4,
  mid_block_type: "UNetMidBlock2DCrossAttn",
  num_attention_heads: null,
  transformer_layers_per_block: 1,
  norm_num_groups: 32,
  norm_eps: 1e-5,
  flip_sin_to_cos: true,
  freq_shift: 0,
  downsample_padding: 1,
  act_fn: "silu",
  addition_embed_type: null,
  addition_time_embed_dim: null,
  projection_class_embeddings_input_dim: null,
} as const;

const SD_DOWN_BLOCKS = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"] as const;
const SD_UP_BLOCKS = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"] as const;

export const SD15_UNET: UNetConfig = {
  ...SD_UNET_COMMON,
  sample_size: 64,
  down_block_types: SD_DOWN_BLOCKS,
  up_block_types: SD_UP_BLOCKS,
  block_out_channels: [320, 640, 1280, 1280],
  layers_per_block: 2,
  attention_head_dim: 8,
  cross_attention_dim: 768,
  use_linear_projection: false,
  upcast_attention: false,
};

const SD_VAE_BLOCKS = {
  in_channels: 3,
  out_channels: 3,
  down_block_types: ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
  up_block_types: ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
  act_fn: "silu",
  latent_channels: 4,
  scaling_factor: 0.18215,
} as const;

export const SD15_VAE: VaeConfig = {
  ...SD_VAE_BLOCKS,
  block_out_channels: [128, 256, 512, 512],
  layers_per_block: 2,
  norm_num_groups: 32,
  sample_size: 512,
};

const CLIP_TOKENS = { vocab_size: 49408, max_position_embeddings: 77, bos_token_id: 0, eos_token_id: 2, pad_token_id: 1 } as const;

/** CLIP ViT-L/14's text tower (openai/clip-vit-large-patch14), as SD 1.5's text_encoder/config.json has it. */
export const SD15_TEXT_ENCODER: ClipTextConfig = {
  ...CLIP_TOKENS,
  hidden_size: 768,
  intermediate_size: 3072,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  hidden_act: "quick_gelu",
  layer_norm_eps: 1e-5,
  projection_dim: 768,
};

export const SD21_UNET: UNetConfig = {
  ...SD_UNET_COMMON,
  sample_size: 96,
  down_block_types: SD_DOWN_BLOCKS,
  up_block_types: SD_UP_BLOCKS,
  block_out_channels: [320, 640, 1280, 1280],
  layers_per_block: 2,
  attention_head_dim: [5, 10, 20, 20],
  cross_attention_dim: 1024,
  use_linear_projection: true,
  upcast_attention: true,
};

export const SD21_TEXT_ENCODER: ClipTextConfig = {
  ...CLIP_TOKENS,
  hidden_size: 1024,
  intermediate_size: 4096,
  num_hidden_layers: 23,
  num_attention_heads: 16,
  hidden_act: "gelu",
  layer_norm_eps: 1e-5,
  projection_dim: 512,
};

/**
 * SD 1.5's structure at 1/10 of its width, one layer per block, and no attention at the 64×64 level: at 512×512 a
 * self-attention over 4,096 positions would cost more than the rest of a UNet this narrow, so the first level is a
 * DownBlock2D/UpBlock2D pair. A UNet call at 512×512, batch 2, takes tens of milliseconds on two CPU cores.
 */
const SD15_MID_UNET: UNetConfig = {
  ...SD_UNET_COMMON,
  sample_size: 64,
  down_block_types: ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  up_block_types: ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
  block_out_channels: [32, 64, 128, 128],
  layers_per_block: 1,
  attention_head_dim: 2,
  cross_attention_dim: 768,
  use_linear_projection: false,
  upcast_attention: false,
};

const SD15_MID_VAE: VaeConfig = {
  ...SD_VAE_BLOCKS,
  block_out_channels: [32, 32, 64, 64],
  layers_per_block: 1,
  norm_num_groups: 32,
  sample_size: 512,
};

/** The full CLIP width (768, so prompt embeddings have SD 1.x's shape) with 2 of its 12 layers. */
const SD15_MID_TEXT_ENCODER: ClipTextConfig = { ...SD15_TEXT_ENCODER, num_hidden_layers: 2 };

/**
 * The smallest model with every SD 1.5 module kind in it: one cross-attention level and one plain level in the UNet,
 * four VAE levels (so latents stay 1/8 of the image), a 2-layer CLIP 32 wide. Sizes follow diffusers' own test
 * pipeline (hf-internal-testing/tiny-stable-diffusion-pipe: 32/64 channels, cross_attention_dim 32), with the real
 * 49,408-token vocabulary so the real tokenizer works with it.
 */
const SD15_TINY_UNET: UNetConfig = {
  ...SD_UNET_COMMON,
  sample_size: 8,
  down_block_types: ["CrossAttnDownBlock2D", "DownBlock2D"],
  up_block_types: ["UpBlock2D", "CrossAttnUpBlock2D"],
  block_out_channels: [32, 64],
  layers_per_block: 1,
  attention_head_dim: 2,
  cross_attention_dim: 32,
  norm_num_groups: 8,
  use_linear_projection: false,
  upcast_attention: false,
};

const SD15_TINY_VAE: VaeConfig = {
  ...SD_VAE_BLOCKS,
  block_out_channels: [8, 8, 16, 16],
  layers_per_block: 1,
  norm_num_groups: 4,
  sample_size: 64,
};

const SD15_TINY_TEXT_ENCODER: ClipTextConfig = {
  ...SD15_TEXT_ENCODER,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  projection_dim: 32,
};

const SDXL_SCHEDULER: SchedulerConfig = { ...SD15_SCHEDULER, _class_name: "EulerDiscreteScheduler" };

/** SDXL 1.0's UNet: three levels (no attention at the first), 2/10 transformer layers deeper down, 64-channel heads. */
export const SDXL_UNET: UNetConfig = {
  ...SD_UNET_COMMON,
  sample_size: 128,
  down_block_types: ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
  up_block_types: ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
  block_out_channels: [320, 640, 1280],
  layers_per_block: 2,
  attention_head_dim: [5, 10, 20],
  cross_attention_dim: 2048,
  transformer_layers_per_block: [1, 2, 10],
  use_linear_projection: true,
  upcast_attention: false,
  addition_embed_type: "text_time",
  addition_time_embed_dim: 256,
  projection_class_embeddings_input_dim: 2816,
};

/**
 * SDXL 1.0's refiner UNet (stabilityai/stable-diffusion-xl-refiner-1.0 unet/config.json): four levels with plain
 * blocks at both ends, 384-channel base width, four transformer layers per attention block, the 1280-wide bigG
 * context alone, and 1280 + 5·256 added-embedding inputs (original size, crop, aesthetic score).
 */
/** The refiner's four levels: plain blocks at both ends, attention in the middle two (full size and tiny alike). */
const SDXL_REFINER_LEVELS = {
  down_block_types: ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
  up_block_types: ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
} satisfies Partial<UNetConfig>;

export const SDXL_REFINER_UNET: UNetConfig = {
  ...SDXL_UNET,
  ...SDXL_REFINER_LEVELS,
  block_out_channels: [384, 768, 1536, 1536],
  attention_head_dim: [6, 12, 24, 24],
  transformer_layers_per_block: 4,
  cross_attention_dim: 1280,
  projection_class_embeddings_input_dim: 2560,
};

/** SDXL's VAE: SD's AutoencoderKL architecture retrained, with its own scaling factor. */
const SDXL_VAE: VaeConfig = { ...SD15_VAE, sample_size: 1024, scaling_factor: 0.13025 };

/** OpenCLIP ViT-bigG/14's text tower with its projection, as SDXL's text_encoder_2/config.json has it. */
export const SDXL_TEXT_ENCODER_2: ClipTextConfig = {
  ...CLIP_TOKENS,
  hidden_size: 1280,
  intermediate_size: 5120,
  num_hidden_layers: 32,
  num_attention_heads: 20,
  hidden_act: "gelu",
  layer_norm_eps: 1e-5,
  projection_dim: 1280,
};

/**
 * SDXL's structure at tiny widths: the same three levels and block types (DownBlock2D first, so no attention over
 * the 128 × 128 latent of a 1024² image), per-block transformer depths, linear projections and the text_time
 * conditioning (a 32-wide pooled embedding and 6 time ids of 16 channels), one resnet per level. The two text
 * encoders are 32 (CLIP-L-like) and 64 (bigG-like) wide, so the UNet reads a 96-wide context.
 */
const SDXL_TINY_TEXT_ENCODER: ClipTextConfig = { ...SD15_TINY_TEXT_ENCODER, num_hidden_layers: 3 };
const SDXL_TINY_TEXT_ENCODER_2: ClipTextConfig = {
  ...SDXL_TEXT_ENCODER_2,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  projection_dim: 32,
};

const SDXL_TINY_UNET: UNetConfig = {
  ...SDXL_UNET,
  sample_size: 128,
  block_out_channels: [16, 32, 64],
  layers_per_block: 1,
  attention_head_dim: [1, 2, 4],
  transformer_layers_per_block: [1, 1, 2],
  cross_attention_dim: 96,
  norm_num_groups: 8,
  addition_time_embed_dim: 16,
  projection_class_embeddings_input_dim: 32 + 6 * 16,
};

const SDXL_TINY_VAE: VaeConfig = { ...SD15_TINY_VAE, sample_size: 1024, scaling_factor: 0.13025 };

/**
 * SDXL's refiner in miniature: text_encoder_2 alone (its 64-wide context), four levels with plain blocks at both
 * ends as the real refiner (stabilityai/stable-diffusion-xl-refiner-1.0 unet/config.json), and 5 time ids (original
 * size, crop, aesthetic score). It shares sdxl-tiny's VAE, so the two have one latent space.
 */
const SDXL_REFINER_TINY_UNET: UNetConfig = {
  ...SDXL_TINY_UNET,
  ...SDXL_REFINER_LEVELS,
  block_out_channels: [16, 32, 64, 64],
  attention_head_dim: [1, 2, 4, 4],
  transformer_layers_per_block: 1,
  cross_attention_dim: 64,
  projection_class_embeddings_input_dim: 32 + 5 * 16,
};

export const MODEL_PRESETS = {
  sd15: { unet: SD15_UNET, vae: SD15_VAE, textEncoder: SD15_TEXT_ENCODER, scheduler: SD15_SCHEDULER, padToken: "<|endoftext|>" },
  "sd15-mid": { unet: SD15_MID_UNET, vae: SD15_MID_VAE, textEncoder: SD15_MID_TEXT_ENCODER, scheduler: SD15_SCHEDULER, padToken: "<|endoftext|>" },
  "sd15-tiny": {
    unet: SD15_TINY_UNET,
    vae: SD15_TINY_VAE,
    textEncoder: SD15_TINY_TEXT_ENCODER,
    scheduler: SD15_SCHEDULER,
    padToken: "<|endoftext|>",
  },
  sd21: { unet: SD21_UNET, vae: { ...SD15_VAE, sample_size: 768 }, textEncoder: SD21_TEXT_ENCODER, scheduler: SD21_SCHEDULER, padToken: "!" },
  sdxl: {
    unet: SDXL_UNET,
    vae: SDXL_VAE,
    textEncoder: SD15_TEXT_ENCODER,
    textEncoder2: { config: SDXL_TEXT_ENCODER_2, padToken: "!" },
    scheduler: SDXL_SCHEDULER,
    padToken: "<|endoftext|>",
  },
  "sdxl-refiner": {
    unet: SDXL_REFINER_UNET,
    vae: SDXL_VAE,
    textEncoder: null,
    textEncoder2: { config: SDXL_TEXT_ENCODER_2, padToken: "!" },
    scheduler: SDXL_SCHEDULER,
    padToken: "!",
  },
  "sdxl-tiny": {
    unet: SDXL_TINY_UNET,
    vae: SDXL_TINY_VAE,
    textEncoder: SDXL_TINY_TEXT_ENCODER,
    textEncoder2: { config: SDXL_TINY_TEXT_ENCODER_2, padToken: "!" },
    scheduler: SDXL_SCHEDULER,
    padToken: "<|endoftext|>",
  },
  "sdxl-refiner-tiny": {
    unet: SDXL_REFINER_TINY_UNET,
    vae: SDXL_TINY_VAE,
    textEncoder: null,
    textEncoder2: { config: SDXL_TINY_TEXT_ENCODER_2, padToken: "!" },
    scheduler: SDXL_SCHEDULER,
    padToken: "!",
  },
} as const satisfies Record<string, ModelConfig>;

export type ModelPreset = keyof typeof MODEL_PRESETS;

export const MODEL_PRESET_NAMES = Object.keys(MODEL_PRESETS) as ModelPreset[];

export function isModelPreset(name: string): name is ModelPreset {
  return Object.hasOwn(MODEL_PRESETS, name);
}
