/**
 * Model configurations with the field names of the config.json files diffusers and transformers write, so a preset
 * is written to `unet/config.json`, `vae_decoder/config.json`, `vae_encoder/config.json` and `text_encoder/config.json` as it is, and a real model's
 * config.json can be read into the same types.
 *
 * - UNet: diffusers `UNet2DConditionModel` (src/diffusers/models/unets/unet_2d_condition.py, `__init__`).
 * - VAE: diffusers `AutoencoderKL` (src/diffusers/models/autoencoders/autoencoder_kl.py).
 * - Text encoder: transformers `CLIPTextConfig` (src/transformers/models/clip/configuration_clip.py).
 */

export type DownBlockType = "CrossAttnDownBlock2D" | "DownBlock2D";
export type UpBlockType = "CrossAttnUpBlock2D" | "UpBlock2D";

/** A per-block setting: one value for every block, or one per down block (up blocks take them reversed). */
export type PerBlock<T> = T | readonly T[];

export interface UNetConfig {
  readonly sample_size: number;
  readonly in_channels: number;
  readonly out_channels: number;
  readonly down_block_types: readonly DownBlockType[];
  readonly up_block_types: readonly UpBlockType[];
  readonly mid_block_type: "UNetMidBlock2DCrossAttn";
  readonly block_out_channels: readonly number[];
  readonly layers_per_block: number;
  /**
   * Despite its name, diffusers reads this as the number of attention *heads* when `num_attention_heads` is null
   * (the comment "we keep it for backwards compatibility" in UNet2DConditionModel.__init__): SD 1.5's 8 means 8
   * heads of 40/80/160 channels; SD 2.x's [5, 10, 20, 20] means heads of 64 channels.
   */
  readonly attention_head_dim: PerBlock<number>;
  readonly num_attention_heads: PerBlock<number> | null;
  readonly cross_attention_dim: number;
  readonly transformer_layers_per_block: PerBlock<number>;
  /** Transformer2DModel proj_in/proj_out as Linear layers (SD 2.x) instead of 1×1 convolutions (SD 1.x). */
  readonly use_linear_projection: boolean;
  /**
   * Recorded in config.json; the graphs compute attention as torch.onnx exports scaled_dot_product_attention (in the
   * export's float type), which has no upcast step.
   */
  readonly upcast_attention: boolean;
  readonly norm_num_groups: number;
  readonly norm_eps: number;
  readonly flip_sin_to_cos: boolean;
  readonly freq_shift: number;
  readonly downsample_padding: number;
  readonly act_fn: "silu";
  /**
   * SDXL's "text_time": the UNet also takes the pooled text embedding (`text_embeds`) and the size/crop/aesthetic
   * conditioning (`time_ids`), embedded and added to the time embedding (UNet2DConditionModel `get_aug_embed`);
   * null for SD 1.x/2.x.
   */
  readonly addition_embed_type: "text_time" | null;
  /** Width of each time id's sinusoidal embedding (`add_time_proj`); 256 in SDXL, null without text_time. */
  readonly addition_time_embed_dim: number | null;
  /**
   * `add_embedding.linear_1`'s input width: the pooled text width plus one `addition_time_embed_dim` per time id
   * (SDXL base 1280 + 6·256 = 2816, refiner 1280 + 5·256 = 2560); null without text_time.
   */
  readonly projection_class_embeddings_input_dim: number | null;
}

export interface VaeConfig {
  readonly in_channels: number;
  readonly out_channels: number;
  readonly down_block_types: readonly "DownEncoderBlock2D"[];
  readonly up_block_types: readonly "UpDecoderBlock2D"[];
  readonly block_out_channels: readonly number[];
  readonly layers_per_block: number;
  readonly act_fn: "silu";
  readonly latent_channels: number;
  readonly norm_num_groups: number;
  readonly sample_size: number;
  readonly scaling_factor: number;
}

export type ClipActivation = "quick_gelu" | "gelu";

export interface ClipTextConfig {
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_attention_heads: number;
  readonly max_position_embeddings: number;
  readonly hidden_act: ClipActivation;
  readonly layer_norm_eps: number;
  /** CLIPTextModelWithProjection's text_projection width; CLIPTextModel (SD 1.x/2.x) has no projection layer. */
  readonly projection_dim: number;
  readonly bos_token_id: number;
  readonly eos_token_id: number;
  readonly pad_token_id: number;
}

export interface SchedulerConfig {
  readonly _class_name: "PNDMScheduler" | "DDIMScheduler" | "EulerDiscreteScheduler";
  readonly beta_start: number;
  readonly beta_end: number;
  readonly beta_schedule: "scaled_linear";
  readonly num_train_timesteps: number;
  readonly prediction_type: "epsilon" | "v_prediction";
  readonly clip_sample: boolean;
  readonly set_alpha_to_one: boolean;
  readonly skip_prk_steps: boolean;
  readonly steps_offset: number;
  readonly trained_betas: null;
}

/** SDXL's second text encoder (transformers CLIPTextModelWithProjection, OpenCLIP ViT-bigG in the real model). */
export interface SecondTextEncoder {
  readonly config: ClipTextConfig;
  /** tokenizer_2's pad token: "!" in SDXL (OpenCLIP pads with id 0). */
  readonly padToken: string;
}

/** Everything a model folder is built from. */
export interface ModelConfig {
  readonly unet: UNetConfig;
  readonly vae: VaeConfig;
  /** text_encoder (CLIPTextModel); null for SDXL refiners, which condition on text_encoder_2 alone. */
  readonly textEncoder: ClipTextConfig | null;
  readonly scheduler: SchedulerConfig;
  /** The tokenizer's pad token: "<|endoftext|>" for SD 1.x, "!" for SD 2.x (OpenCLIP pads with id 0). */
  readonly padToken: string;
  /** SDXL: text_encoder_2 and tokenizer_2; absent for SD 1.x/2.x. */
  readonly textEncoder2?: SecondTextEncoder;
}

/** The value of a per-block setting for down block `index`. */
export function perBlock<T>(value: PerBlock<T>, index: number, blocks: number): T {
  if (!Array.isArray(value)) return value as T;
  const list = value as readonly T[];
  if (list.length !== blocks) throw new RangeError(`a per-block setting has ${list.length} entries for ${blocks} blocks`);
  return list[index];
}

/**
 * Attention heads of down block `index`, as UNet2DConditionModel.__init__ resolves them:
 * `num_attention_heads = num_attention_heads or attention_head_dim`.
 */
export function attentionHeads(config: UNetConfig, index: number): number {
  const blocks = config.block_out_channels.length;
  return perBlock(config.num_attention_heads ?? config.attention_head_dim, index, blocks);
}

/** Checks the relations diffusers asserts or silently relies on; throws a RangeError naming the first broken one. */
export function checkUNetConfig(config: UNetConfig): void {
  const blocks = config.block_out_channels.length;
  if (config.down_block_types.length !== blocks || config.up_block_types.length !== blocks) {
    throw new RangeError(`down_block_types and up_block_types need ${blocks} entries, one per block_out_channels`);
  }
  if (config.addition_embed_type === "text_time" && (config.addition_time_embed_dim === null || config.projection_class_embeddings_input_dim === null)) {
    throw new RangeError("addition_embed_type text_time needs addition_time_embed_dim and projection_class_embeddings_input_dim");
  }
  config.block_out_channels.forEach((channels, index) => {
    if (channels % config.norm_num_groups !== 0) {
      throw new RangeError(`block_out_channels[${index}] = ${channels} is not a multiple of norm_num_groups ${config.norm_num_groups}`);
    }
    const heads = attentionHeads(config, index);
    if (channels % heads !== 0) throw new RangeError(`block_out_channels[${index}] = ${channels} does not split into ${heads} heads`);
  });
}

export function checkVaeConfig(config: VaeConfig): void {
  const blocks = config.block_out_channels.length;
  if (config.down_block_types.length !== blocks || config.up_block_types.length !== blocks) {
    throw new RangeError(`down_block_types and up_block_types need ${blocks} entries, one per block_out_channels`);
  }
  for (const channels of config.block_out_channels) {
    if (channels % config.norm_num_groups !== 0) {
      throw new RangeError(`VAE channels ${channels} are not a multiple of norm_num_groups ${config.norm_num_groups}`);
    }
  }
}

export function checkClipTextConfig(config: ClipTextConfig): void {
  if (config.hidden_size % config.num_attention_heads !== 0) {
    throw new RangeError(`hidden_size ${config.hidden_size} does not split into ${config.num_attention_heads} heads`);
  }
}

/**
 * The number of SDXL time ids the UNet's `add_embedding` takes beside a pooled text embedding of `textEmbedsWidth`
 * (diffusers StableDiffusionXLPipeline `_get_add_time_ids` checks the same sum): 6 for the base model (original size,
 * crop, target size), 5 for the refiner (original size, crop, aesthetic score).
 */
export function addedTimeIds(config: UNetConfig, textEmbedsWidth: number): number {
  const timeDim = config.addition_time_embed_dim ?? 0;
  const input = config.projection_class_embeddings_input_dim ?? 0;
  const count = (input - textEmbedsWidth) / timeDim;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`projection_class_embeddings_input_dim ${input} is not ${textEmbedsWidth} plus a whole number of ${timeDim}-wide time ids`);
  }
  return count;
}

/** The VAE's spatial factor: one 2× downsampler per block but the last (8 for every SD VAE). */
export function vaeScaleFactor(config: VaeConfig): number {
  return 2 ** (config.block_out_channels.length - 1);
}
