import type { Dim } from "../tiny-model/onnx-graph-builder.ts";
import { addedTimeIds, attentionHeads, checkUNetConfig, perBlock } from "./configs.ts";
import type { UNetConfig } from "./configs.ts";
import { ExportGraph } from "./export-graph.ts";
import type { GraphOptions, Scope } from "./export-graph.ts";
import { resnetBlock, toFeatureMap, toTokens, upsample2d } from "./blocks.ts";
import { conv2d, gelu, groupNorm, layerNorm, linear, linear2d, scaledDotProductAttention, silu } from "./nn.ts";

/**
 * diffusers' UNet2DConditionModel (src/diffusers/models/unets/unet_2d_condition.py and unet_2d_blocks.py,
 * resnet.py, transformers/transformer_2d.py, attention.py, embeddings.py) as an ONNX graph with the IO optimum
 * writes (optimum ≥ 1.24: `timestep` a float scalar): `sample` [B, in_channels, h, w], `timestep` [],
 * `encoder_hidden_states` [B, S, cross_attention_dim] (and for SDXL's text_time, `text_embeds` [B, pooled] and
 * `time_ids` [B, n]) → `out_sample` [B, out_channels, h, w].
 */

/** optimum's dynamic axis names (UNetOnnxConfig.inputs/outputs). */
const AXES = { batch: "batch_size", sequence: "sequence_length", height: "height", width: "width" } as const;

/** diffusers' ResnetBlock2D/Transformer2DModel settings shared by one UNet. */
interface UNetContext {
  readonly config: UNetConfig;
  /** SiLU-free time embedding [B, 4·C0]; each resnet applies its own SiLU before time_emb_proj. */
  readonly temb: string;
  readonly tembChannels: number;
  readonly context: string;
}

/** diffusers' Attention with heads of `headDim` and no biases on q/k/v (attention_bias = False), a bias on to_out.0. */
function attention(scope: Scope, x: string, context: string | null, dim: number, contextDim: number, heads: number, headDim: number): string {
  const inner = heads * headDim;
  const source = context ?? x;
  const sourceDim = context === null ? dim : contextDim;
  const projections = {
    q: linear(scope.child("to_q"), x, dim, inner, false),
    k: linear(scope.child("to_k"), source, sourceDim, inner, false),
    v: linear(scope.child("to_v"), source, sourceDim, inner, false),
  };
  const attended = scaledDotProductAttention(scope, projections, heads, headDim);
  return linear(scope.child("to_out.0"), attended, inner, dim);
}

/** FeedForward with GEGLU: net.0.proj to 2·4·dim, split into value and gate, value · GELU(gate), net.2 back to dim. */
function feedForward(scope: Scope, x: string, dim: number): string {
  const inner = 4 * dim;
  const geglu = scope.child("net.0");
  const projected = linear(geglu.child("proj"), x, dim, 2 * inner);
  const [value, gate] = scope.graph.node(geglu.nodePrefix, "Split", [projected, geglu.int64([inner, inner])], { axis: { int: -1 } }, 2);
  const gated = geglu.op("Mul", [value, gelu(geglu, gate)]);
  return linear(scope.child("net.2"), gated, inner, dim);
}

/** BasicTransformerBlock: norm1 → attn1 (self) → norm2 → attn2 (cross, on encoder_hidden_states) → norm3 → ff. */
function basicTransformerBlock(scope: Scope, x: string, dim: number, heads: number, headDim: number, unet: UNetContext): string {
  const eps = 1e-5;
  let h = x;
  const selfAttended = attention(scope.child("attn1"), layerNorm(scope.child("norm1"), h, dim, eps), null, dim, dim, heads, headDim);
  h = scope.op("Add", [selfAttended, h]);
  const crossDim = unet.config.cross_attention_dim;
  const crossAttended = attention(scope.child("attn2"), layerNorm(scope.child("norm2"), h, dim, eps), unet.context, dim, crossDim, heads, headDim);
  h = scope.op("Add", [crossAttended, h]);
  const fed = feedForward(scope.child("ff"), layerNorm(scope.child("norm3"), h, dim, eps), dim);
  return scope.op("Add", [fed, h]);
}

/**
 * Transformer2DModel: GroupNorm (eps 1e-6) → proj_in (1×1 conv, or Linear after flattening with
 * use_linear_projection) → transformer blocks → proj_out → plus the input.
 */
function transformer2d(scope: Scope, x: string, channels: number, heads: number, layers: number, unet: UNetContext): string {
  const { norm_num_groups: groups, use_linear_projection: linearProjection } = unet.config;
  const headDim = channels / heads;
  const inner = heads * headDim;
  const normalized = groupNorm(scope.child("norm"), x, groups, channels, 1e-6);
  let h = linearProjection
    ? linear(scope.child("proj_in"), toTokens(scope, normalized, channels), channels, inner)
    : toTokens(scope, conv2d(scope.child("proj_in"), normalized, channels, inner, { kernel: 1 }), inner);
  for (let i = 0; i < layers; i++) h = basicTransformerBlock(scope.child(`transformer_blocks.${i}`), h, inner, heads, headDim, unet);
  const out = linearProjection
    ? toFeatureMap(scope, linear(scope.child("proj_out"), h, inner, channels), x, channels)
    : conv2d(scope.child("proj_out"), toFeatureMap(scope, h, x, inner), inner, channels, { kernel: 1 });
  return scope.op("Add", [out, x]);
}

function unetResnet(scope: Scope, x: string, inChannels: number, outChannels: number, unet: UNetContext): string {
  const norm = { groups: unet.config.norm_num_groups, eps: unet.config.norm_eps };
  return resnetBlock(scope, x, inChannels, outChannels, norm, { temb: unet.temb, channels: unet.tembChannels });
}

/**
 * diffusers' `Timesteps` (embeddings.get_timestep_embedding) on a 1-D tensor of `values`: in float32, exponent
 * −ln(10000)·i/(half − freq_shift), sin and cos of value·exp(exponent), cos first with flip_sin_to_cos. [N, dim].
 */
function sinusoidalEmbedding(proj: Scope, values: string, dim: number, config: UNetConfig): string {
  const half = dim / 2;
  const frequencies = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / (half - config.freq_shift)));
  const column = proj.op("Unsqueeze", [proj.graph.floatType === "float32" ? values : proj.cast(values, "float32"), proj.int64([1])]);
  const phases = proj.op("Mul", [column, proj.constant("float32", [1, half], frequencies)]);
  const sin = proj.op("Sin", [phases]);
  const cos = proj.op("Cos", [phases]);
  return proj.op("Concat", config.flip_sin_to_cos ? [cos, sin] : [sin, cos], { axis: { int: 1 } });
}

/** TimestepEmbedding: linear_1 → SiLU → linear_2 (each Linear on a 2-D input, so a Gemm). */
function timestepMlp(mlp: Scope, x: string, inChannels: number, channels: number): string {
  const hidden = silu(mlp.child("act"), linear2d(mlp.child("linear_1"), x, inChannels, channels));
  return linear2d(mlp.child("linear_2"), hidden, channels, channels);
}

/** Timesteps (sinusoidal, flip_sin_to_cos, freq_shift) then TimestepEmbedding (linear_1 → SiLU → linear_2). */
function timeEmbedding(root: Scope, timestep: string, sample: string, config: UNetConfig): string {
  const channels = config.block_out_channels[0];
  const graph = root.graph;
  // `timesteps.expand(sample.shape[0])` (UNet2DConditionModel.get_time_embed): one timestep per sample.
  const timesteps = root.op("Expand", [timestep, root.op("Shape", [sample], { start: { int: 0 }, end: { int: 1 } })]);
  const sinusoid = sinusoidalEmbedding(root.child("time_proj"), timesteps, channels, config);
  // `t_emb.to(dtype=sample.dtype)`.
  const embedded = graph.floatType === "float32" ? sinusoid : root.cast(sinusoid, graph.floatType);
  return timestepMlp(root.child("time_embedding"), embedded, channels, 4 * channels);
}

/**
 * SDXL's added conditioning (UNet2DConditionModel.get_aug_embed, addition_embed_type "text_time"): every time id
 * through `add_time_proj` (Timesteps of addition_time_embed_dim), reshaped to [B, ids·dim], concatenated after the
 * pooled `text_embeds` (in float32, as torch promotes the mix), cast to the model's type and passed through
 * `add_embedding` (a TimestepEmbedding) to the time embedding's width. The caller adds it to the time embedding.
 */
function addedEmbedding(root: Scope, textEmbeds: string, timeIds: string, textEmbedsWidth: number, timeIdCount: number, config: UNetConfig): string {
  const graph = root.graph;
  const dim = config.addition_time_embed_dim!;
  const proj = root.child("add_time_proj");
  const flat = proj.op("Reshape", [timeIds, proj.int64([-1])]);
  const sinusoid = sinusoidalEmbedding(proj, flat, dim, config);
  // `time_embeds.reshape((text_embeds.shape[0], -1))`.
  const batch = root.op("Shape", [textEmbeds], { start: { int: 0 }, end: { int: 1 } });
  const timeEmbeds = root.op("Reshape", [sinusoid, root.op("Concat", [batch, root.int64([-1])], { axis: { int: 0 } })]);
  const text = graph.floatType === "float32" ? textEmbeds : root.cast(textEmbeds, "float32");
  const concatenated = root.op("Concat", [text, timeEmbeds], { axis: { int: -1 } });
  // `add_embeds.to(emb.dtype)`.
  const addEmbeds = graph.floatType === "float32" ? concatenated : root.cast(concatenated, graph.floatType);
  const inputWidth = textEmbedsWidth + timeIdCount * dim;
  return timestepMlp(root.child("add_embedding"), addEmbeds, inputWidth, 4 * config.block_out_channels[0]);
}

/** What the UNet is built with beyond its config. */
export interface UNetGraphOptions {
  /**
   * With addition_embed_type "text_time": the pooled text embedding's width (text_encoder_2's projection_dim, 1280
   * in SDXL); the time ids are what projection_class_embeddings_input_dim leaves.
   */
  readonly textEmbedsWidth?: number;
}

/** Builds the UNet graph (parameters declared, not generated). */
export function buildUNetGraph(config: UNetConfig, options: GraphOptions, unetOptions: UNetGraphOptions = {}): ExportGraph {
  checkUNetConfig(config);
  const textTime = config.addition_embed_type === "text_time";
  if (textTime && unetOptions.textEmbedsWidth === undefined) throw new RangeError("a text_time UNet needs the pooled text embedding's width");
  const graph = new ExportGraph("main_graph", options);
  const type = options.floatType;
  const root = graph.root();
  const sample = graph.input("sample", type, [AXES.batch, config.in_channels, AXES.height, AXES.width]);
  const timestep = graph.input("timestep", type, []);
  const context = graph.input("encoder_hidden_states", type, [AXES.batch, AXES.sequence, config.cross_attention_dim]);

  const channels = config.block_out_channels;
  const blocks = channels.length;
  let temb = timeEmbedding(root, timestep, sample, config);
  if (textTime) {
    // optimum's UNetOnnxConfig: `text_embeds` and `time_ids` with a dynamic batch axis only.
    const width = unetOptions.textEmbedsWidth!;
    const count = addedTimeIds(config, width);
    const textEmbeds = graph.input("text_embeds", type, [AXES.batch, width]);
    const timeIds = graph.input("time_ids", type, [AXES.batch, count]);
    temb = root.op("Add", [temb, addedEmbedding(root, textEmbeds, timeIds, width, count, config)]);
  }
  const unet: UNetContext = { config, temb, tembChannels: 4 * channels[0], context };
  const layers = (index: number) => perBlock(config.transformer_layers_per_block, index, blocks);

  let h = conv2d(root.child("conv_in"), sample, config.in_channels, channels[0], { kernel: 3, padding: 1 });
  const skips: { value: string; channels: number }[] = [{ value: h, channels: channels[0] }];

  config.down_block_types.forEach((type, index) => {
    const block = root.child(`down_blocks.${index}`);
    const out = channels[index];
    let inChannels = index === 0 ? channels[0] : channels[index - 1];
    for (let j = 0; j < config.layers_per_block; j++) {
      h = unetResnet(block.child(`resnets.${j}`), h, inChannels, out, unet);
      if (type === "CrossAttnDownBlock2D") h = transformer2d(block.child(`attentions.${j}`), h, out, attentionHeads(config, index), layers(index), unet);
      skips.push({ value: h, channels: out });
      inChannels = out;
    }
    if (index < blocks - 1) {
      const downsampler = block.child("downsamplers.0").child("conv");
      h = conv2d(downsampler, h, out, out, { kernel: 3, stride: 2, padding: config.downsample_padding });
      skips.push({ value: h, channels: out });
    }
  });

  const mid = root.child("mid_block");
  const last = channels[blocks - 1];
  h = unetResnet(mid.child("resnets.0"), h, last, last, unet);
  h = transformer2d(mid.child("attentions.0"), h, last, attentionHeads(config, blocks - 1), layers(blocks - 1), unet);
  h = unetResnet(mid.child("resnets.1"), h, last, last, unet);

  let previous = last;
  config.up_block_types.forEach((type, index) => {
    const block = root.child(`up_blocks.${index}`);
    const reversedIndex = blocks - 1 - index;
    const out = channels[reversedIndex];
    for (let j = 0; j <= config.layers_per_block; j++) {
      const skip = skips.pop();
      if (skip === undefined) throw new Error("UNet skip connections ran out");
      const inChannels = j === 0 ? previous : out;
      h = block.op("Concat", [h, skip.value], { axis: { int: 1 } });
      h = unetResnet(block.child(`resnets.${j}`), h, inChannels + skip.channels, out, unet);
      if (type === "CrossAttnUpBlock2D") {
        h = transformer2d(block.child(`attentions.${j}`), h, out, attentionHeads(config, reversedIndex), layers(reversedIndex), unet);
      }
    }
    if (index < blocks - 1) h = upsample2d(block.child("upsamplers.0"), h, out);
    previous = out;
  });

  h = groupNorm(root.child("conv_norm_out"), h, config.norm_num_groups, channels[0], config.norm_eps);
  h = silu(root.child("conv_act"), h);
  h = conv2d(root.child("conv_out"), h, channels[0], config.out_channels, { kernel: 3, padding: 1 });
  const outDims: Dim[] = [AXES.batch, config.out_channels, AXES.height, AXES.width];
  graph.output(h, "out_sample", type, outDims);
  return graph;
}
