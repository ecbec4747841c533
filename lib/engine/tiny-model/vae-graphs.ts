import { OnnxGraphBuilder } from "./onnx-graph-builder.ts";
import type { EncodedModel } from "./onnx-graph-builder.ts";
import { LATENT_CHANNELS } from "./unet-graph.ts";
import type { TinyModelSpec } from "./variants.ts";
import type { TinyVaeWeights } from "./vae-weights.ts";

/** Pixels per latent cell along each axis (the SD VAE downsamples by 8). */
export const VAE_SCALE = 8;

const RGB = 3;

/** `latent_sample [B,4,h,w]` → `sample [B,3,8h,8w]` in (−1, 1); see TinyVaeWeights for the maths. */
export function buildVaeDecoder(spec: TinyModelSpec, weights: TinyVaeWeights): EncodedModel {
  const { batch, height, width, latentHeight, latentWidth } = spec.axes;
  const b = new OnnxGraphBuilder("vae_decoder");
  const latents = b.floatInput("latent_sample", spec.floatType, [batch, spec.axes.channels ?? LATENT_CHANNELS, latentHeight, latentWidth]);

  const colours = b.op("Conv", [
    latents,
    b.weight("decoder.conv_in.weight", [RGB, LATENT_CHANNELS, 1, 1], weights.decoderWeight, spec.floatType),
    b.weight("decoder.conv_in.bias", [RGB], weights.decoderBias, spec.floatType),
  ]);
  const upsampled = b.op("Resize", [colours, "", b.constantFloat("scales", [4], [1, 1, VAE_SCALE, VAE_SCALE])], {
    mode: { string: "linear" },
  });
  const texture = b.op(
    "Conv",
    [
      upsampled,
      b.weight("decoder.texture.weight", [RGB, RGB, 3, 3], weights.textureWeight, spec.floatType),
      b.weight("decoder.texture.bias", [RGB], weights.textureBias, spec.floatType),
    ],
    { pads: { ints: [1, 1, 1, 1] } },
  );
  const image = b.op("Tanh", [b.op("Add", [upsampled, texture])]);
  b.floatOutput(image, "sample", spec.floatType, [batch, spec.axes.channels ?? RGB, height, width]);
  return b.encode();
}

/**
 * `sample [B,3,H,W]` in [−1, 1] → `latent_sample [B,4,H/8,W/8]` (the posterior mean; real exports draw a sample) or
 * `latent_parameters [B,8,H/8,W/8]` (mean ++ logvar), as the variant's exporter names it.
 */
export function buildVaeEncoder(spec: TinyModelSpec, weights: TinyVaeWeights): EncodedModel {
  const { batch, height, width, latentHeight, latentWidth } = spec.axes;
  const b = new OnnxGraphBuilder("vae_encoder");
  const pixels = b.floatInput("sample", spec.floatType, [batch, spec.axes.channels ?? RGB, height, width]);

  // Clip keeps atanh finite on saturated pixels (atanh(±0.999) ≈ ±3.8).
  const limit = 0.999;
  const clipped = b.op("Clip", [pixels, b.constantFloat("clip_min", [], [-limit]), b.constantFloat("clip_max", [], [limit])]);
  const pooled = b.op("AveragePool", [b.op("Atanh", [clipped])], {
    kernel_shape: { ints: [VAE_SCALE, VAE_SCALE] },
    strides: { ints: [VAE_SCALE, VAE_SCALE] },
  });
  const mean = b.op("Conv", [
    pooled,
    b.weight("encoder.conv_out.weight", [LATENT_CHANNELS, RGB, 1, 1], weights.encoderWeight, spec.floatType),
    b.weight("encoder.conv_out.bias", [LATENT_CHANNELS], weights.encoderBias, spec.floatType),
  ]);

  if (spec.vaeEncoderOutput === "latent_sample") {
    b.floatOutput(mean, "latent_sample", spec.floatType, [batch, spec.axes.channels ?? LATENT_CHANNELS, latentHeight, latentWidth]);
    return b.encode();
  }
  const logvar = b.op("Conv", [
    pooled,
    b.weight("encoder.logvar.weight", [LATENT_CHANNELS, RGB, 1, 1], weights.logvarWeight, spec.floatType),
    b.weight("encoder.logvar.bias", [LATENT_CHANNELS], weights.logvarBias, spec.floatType),
  ]);
  const parameters = b.op("Concat", [mean, logvar], { axis: { int: 1 } });
  b.floatOutput(parameters, "latent_parameters", spec.floatType, [batch, 2 * LATENT_CHANNELS, latentHeight, latentWidth]);
  return b.encode();
}
