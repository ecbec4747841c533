import { checkVaeConfig } from "./configs.ts";
import type { VaeConfig } from "./configs.ts";
import { ExportGraph } from "./export-graph.ts";
import type { GraphOptions, Scope } from "./export-graph.ts";
import { conv2d, groupNorm, linear, scaledDotProductAttention, silu } from "./nn.ts";
import { resnetBlock, toFeatureMap, toTokens, upsample2d } from "./blocks.ts";

/**
 * diffusers' AutoencoderKL (autoencoders/autoencoder_kl.py, vae.py Encoder/Decoder, unet_2d_blocks.py
 * DownEncoderBlock2D/UpDecoderBlock2D/UNetMidBlock2D) as the two graphs optimum exports:
 * - vae_encoder: `sample` [B, 3, H, W] → encoder → quant_conv → `latent_parameters` [B, 2·latent, H/8, W/8]
 *   (the posterior's mean ++ log-variance);
 * - vae_decoder: `latent_sample` [B, latent, h, w] → post_quant_conv → decoder → `sample` [B, 3, 8h, 8w].
 * Parameter names are relative to AutoencoderKL (`encoder.down_blocks.0.resnets.0.conv1.weight`, `quant_conv.weight`).
 */

/** Every VAE ResnetBlock2D and its attention use eps 1e-6 (Encoder/Decoder pass resnet_eps=1e-6). */
const VAE_EPS = 1e-6;

const AXES = { batch: "batch_size", height: "height", width: "width", latentHeight: "height_latent", latentWidth: "width_latent" } as const;

function vaeResnet(scope: Scope, x: string, inChannels: number, outChannels: number, config: VaeConfig): string {
  return resnetBlock(scope, x, inChannels, outChannels, { groups: config.norm_num_groups, eps: VAE_EPS }, null);
}

/**
 * The mid-block attention: one head as wide as the feature map (attention_head_dim = channels), GroupNorm before it,
 * biased q/k/v/out projections, plus the input (residual_connection=True).
 */
function vaeAttention(scope: Scope, x: string, channels: number, config: VaeConfig): string {
  const normalized = groupNorm(scope.child("group_norm"), x, config.norm_num_groups, channels, VAE_EPS);
  const tokens = toTokens(scope, normalized, channels);
  const projections = {
    q: linear(scope.child("to_q"), tokens, channels, channels),
    k: linear(scope.child("to_k"), tokens, channels, channels),
    v: linear(scope.child("to_v"), tokens, channels, channels),
  };
  const attended = linear(scope.child("to_out.0"), scaledDotProductAttention(scope, projections, 1, channels), channels, channels);
  return scope.op("Add", [toFeatureMap(scope, attended, x, channels), x]);
}

/** UNetMidBlock2D: resnets.0 → attentions.0 → resnets.1. */
function midBlock(scope: Scope, x: string, channels: number, config: VaeConfig): string {
  let h = vaeResnet(scope.child("resnets.0"), x, channels, channels, config);
  h = vaeAttention(scope.child("attentions.0"), h, channels, config);
  return vaeResnet(scope.child("resnets.1"), h, channels, channels, config);
}

/** GroupNorm → SiLU → 3×3 conv, the head of both halves. */
function outputHead(scope: Scope, x: string, inChannels: number, outChannels: number, config: VaeConfig): string {
  const normalized = groupNorm(scope.child("conv_norm_out"), x, config.norm_num_groups, inChannels, VAE_EPS);
  return conv2d(scope.child("conv_out"), silu(scope.child("conv_act"), normalized), inChannels, outChannels, { kernel: 3, padding: 1 });
}

export function buildVaeEncoderGraph(config: VaeConfig, options: GraphOptions): ExportGraph {
  checkVaeConfig(config);
  const graph = new ExportGraph("main_graph", options);
  const type = options.floatType;
  const root = graph.root();
  const encoder = root.child("encoder");
  const channels = config.block_out_channels;
  const sample = graph.input("sample", type, [AXES.batch, config.in_channels, AXES.height, AXES.width]);

  let h = conv2d(encoder.child("conv_in"), sample, config.in_channels, channels[0], { kernel: 3, padding: 1 });
  channels.forEach((out, index) => {
    const block = encoder.child(`down_blocks.${index}`);
    let inChannels = index === 0 ? channels[0] : channels[index - 1];
    for (let j = 0; j < config.layers_per_block; j++) {
      h = vaeResnet(block.child(`resnets.${j}`), h, inChannels, out, config);
      inChannels = out;
    }
    if (index < channels.length - 1) {
      // Downsample2D with padding=0 pads right and bottom by one (F.pad(x, (0, 1, 0, 1))) before a stride-2 conv.
      const downsampler = block.child("downsamplers.0");
      const padded = downsampler.op("Pad", [h, downsampler.int64([0, 0, 0, 0, 0, 0, 1, 1]), downsampler.scalar(0)], {
        mode: { string: "constant" },
      });
      h = conv2d(downsampler.child("conv"), padded, out, out, { kernel: 3, stride: 2 });
    }
  });
  const last = channels[channels.length - 1];
  h = midBlock(encoder.child("mid_block"), h, last, config);
  h = outputHead(encoder, h, last, 2 * config.latent_channels, config);
  h = conv2d(root.child("quant_conv"), h, 2 * config.latent_channels, 2 * config.latent_channels, { kernel: 1 });
  graph.output(h, "latent_parameters", type, [AXES.batch, 2 * config.latent_channels, AXES.latentHeight, AXES.latentWidth]);
  return graph;
}

export function buildVaeDecoderGraph(config: VaeConfig, options: GraphOptions): ExportGraph {
  checkVaeConfig(config);
  const graph = new ExportGraph("main_graph", options);
  const type = options.floatType;
  const root = graph.root();
  const decoder = root.child("decoder");
  const channels = config.block_out_channels;
  const latent = config.latent_channels;
  const latents = graph.input("latent_sample", type, [AXES.batch, latent, AXES.latentHeight, AXES.latentWidth]);

  let h = conv2d(root.child("post_quant_conv"), latents, latent, latent, { kernel: 1 });
  const last = channels[channels.length - 1];
  h = conv2d(decoder.child("conv_in"), h, latent, last, { kernel: 3, padding: 1 });
  h = midBlock(decoder.child("mid_block"), h, last, config);
  let previous = last;
  [...channels].reverse().forEach((out, index) => {
    const block = decoder.child(`up_blocks.${index}`);
    for (let j = 0; j <= config.layers_per_block; j++) {
      h = vaeResnet(block.child(`resnets.${j}`), h, j === 0 ? previous : out, out, config);
    }
    if (index < channels.length - 1) {
      h = upsample2d(block.child("upsamplers.0"), h, out);
    }
    previous = out;
  });
  h = outputHead(decoder, h, channels[0], config.out_channels, config);
  graph.output(h, "sample", type, [AXES.batch, config.out_channels, AXES.height, AXES.width]);
  return graph;
}
