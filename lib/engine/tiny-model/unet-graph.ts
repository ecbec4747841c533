import { OnnxGraphBuilder } from "./onnx-graph-builder.ts";
import type { EncodedModel } from "./onnx-graph-builder.ts";
import { seededNormals } from "./seeded-normals.ts";
import type { TinyModelSpec } from "./variants.ts";

export const LATENT_CHANNELS = 4;

/** The UNet's `encoder_hidden_states` width: the text encoder's, or SDXL's encoders side by side. */
export function unetContextWidth(spec: TinyModelSpec): number {
  if (spec.sdxl === undefined) return spec.textHiddenSize;
  return spec.sdxl.refiner ? spec.sdxl.textHiddenSize2 : spec.textHiddenSize + spec.sdxl.textHiddenSize2;
}

/** Bound of the learned term: |out_sample − sample| ≤ UNET_RESIDUAL_SCALE everywhere. */
export const UNET_RESIDUAL_SCALE = 0.2;

/** Sinusoid frequencies 1 … 1/1000, so timesteps 0…999 move every phase and fractional steps still matter. */
const TIME_FREQUENCIES = Array.from({ length: 8 }, (_, k) => Math.exp((-Math.log(1000) * k) / 7));

/**
 * An SD-shaped UNet: `sample [B,4,h,w]` (9 channels for the inpainting variant), `timestep`, `encoder_hidden_states [B,S,D]` (any S) → `out_sample [B,4,h,w]`.
 *
 * It acts like a denoiser whose data are unit Gaussians: predicted ε = sample + 0.2·tanh(m), where m is a 3×3
 * convolution of the sample, modulated FiLM-style by the pooled text embedding (scale and shift), plus a projection
 * of a sinusoidal timestep embedding. ε ≈ model input keeps k-diffusion and DDIM sampling bounded (20 Euler steps from
 * x = σ_max·noise end with latents of std ≈ 0.5), while the bounded term makes the output depend on sample, timestep and text.
 * SD 2.x v-prediction variants use the same graph; read as v, the output still gives a bounded denoiser.
 *
 * SDXL variants also take `text_embeds [B,P]` and `time_ids [B,n]` (optimum's UNetOnnxConfig for a text_time UNet):
 * the pooled text and a sinusoidal embedding of the time ids (scaled to SDXL's pixel sizes) shift the modulation per
 * channel, as SDXL adds its `add_embedding` to the time embedding.
 */
export function buildUnet(spec: TinyModelSpec, seed: number): EncodedModel {
  const hidden = unetContextWidth(spec);
  const { batch, sequence, height, width } = spec.axes;
  const channels = spec.axes.channels ?? LATENT_CHANNELS;
  const inChannels = spec.axes.channels ?? spec.unetInChannels;
  const b = new OnnxGraphBuilder("unet");
  const weight = (name: string, dims: readonly number[], std: number) =>
    b.weight(name, dims, seededNormals(seed, `unet.${name}`, dims.reduce((n, d) => n * d, 1), std), spec.floatType);
  const channelPlanes = b.constantInt64("channel_planes", [4], [-1, LATENT_CHANNELS, 1, 1]);

  const sample = b.floatInput("sample", spec.floatType, [batch, inChannels, height, width]);
  const timestep = b.input("timestep", spec.timestepType, spec.timestepDims);
  const context = b.floatInput("encoder_hidden_states", spec.floatType, [batch, sequence, hidden]);

  // Timestep embedding as in diffusers' get_timestep_embedding: [T,1]·freqs → sin ++ cos → linear → [T,4,1,1].
  // T is 1 (scalar or [1] timestep) or B, and broadcasts against the batch either way.
  const timeFloat = spec.timestepType === "float32" ? timestep : b.cast(timestep, "float32");
  const timeColumn = b.op("Reshape", [timeFloat, b.constantInt64("column", [2], [-1, 1])]);
  const phases = b.op("Mul", [timeColumn, b.constantFloat("time_frequencies", [1, TIME_FREQUENCIES.length], TIME_FREQUENCIES)]);
  const timeFeatures = b.op("Concat", [b.op("Sin", [phases]), b.op("Cos", [phases])], { axis: { int: 1 } });
  const timeWeight = weight("time_embedding.weight", [2 * TIME_FREQUENCIES.length, LATENT_CHANNELS], 0.25);
  const timeShift = b.op("Reshape", [b.op("MatMul", [timeFeatures, timeWeight]), channelPlanes]);

  // Text conditioning from a max over the sequence, so any length (77, 154, …) works. A mean would be dominated by
  // the ~70 padding positions, which are alike in every prompt; the max picks up the prompt's own tokens.
  const pooled = b.op("ReduceMax", [context], { axes: { ints: [1] }, keepdims: { int: 0 } });
  const textScale = b.op("Tanh", [b.op("MatMul", [pooled, weight("text_scale.weight", [hidden, LATENT_CHANNELS], 1 / Math.sqrt(hidden))])]);
  const textShift = b.op("MatMul", [pooled, weight("text_shift.weight", [hidden, LATENT_CHANNELS], 0.7 / Math.sqrt(hidden))]);

  // An inpainting UNet sees the latent, the mask and the masked image's latent; its ε is about its first 4 channels.
  const inpainting = spec.unetInChannels === 9;
  const convWeight = inpainting
    ? weight("conv_inpaint.weight", [LATENT_CHANNELS, 9, 3, 3], 1 / 9)
    : weight("conv.weight", [LATENT_CHANNELS, LATENT_CHANNELS, 3, 3], 1 / 6);
  const features = b.op("Conv", [sample, convWeight, weight("conv.bias", [LATENT_CHANNELS], 0.1)], { pads: { ints: [1, 1, 1, 1] } });
  const latent = inpainting
    ? b.op("Slice", [sample, b.constantInt64("latent_start", [1], [0]), b.constantInt64("latent_end", [1], [LATENT_CHANNELS]), b.constantInt64("channel_axis", [1], [1])])
    : sample;
  const one = b.constantFloat("one", [1], [1]);
  const sdxl = spec.sdxl;
  let added: string | null = null;
  if (sdxl !== undefined) {
    const count = sdxl.refiner ? 5 : 6;
    const textEmbeds = b.floatInput("text_embeds", spec.floatType, [batch, sdxl.pooledWidth]);
    const timeIds = b.floatInput("time_ids", spec.floatType, [batch, count]);
    // Sizes run to a few thousand pixels and aesthetic scores to 10: periods 2 … 4096 move with either.
    const idFrequencies = Array.from({ length: 6 }, (_, k) => Math.PI / 2 ** (k * 2 + 1));
    const idPhases = b.op("Mul", [b.op("Unsqueeze", [timeIds, b.constantInt64("last_axis", [1], [2])]), b.constantFloat("id_frequencies", [1, 1, 6], idFrequencies)]);
    const idFeatures = b.op("Reshape", [b.op("Concat", [b.op("Sin", [idPhases]), b.op("Cos", [idPhases])], { axis: { int: 2 } }), b.constantInt64("id_rows", [2], [0, -1])]);
    const idShift = b.op("MatMul", [idFeatures, weight("add_time.weight", [count * 12, LATENT_CHANNELS], 0.8 / Math.sqrt(count * 12))]);
    const textEmbedsShift = b.op("MatMul", [textEmbeds, weight("add_text.weight", [sdxl.pooledWidth, LATENT_CHANNELS], 0.8 / Math.sqrt(sdxl.pooledWidth))]);
    added = b.op("Reshape", [b.op("Add", [idShift, textEmbedsShift]), channelPlanes]);
  }
  const modulated = b.op("Add", [
    b.op("Add", [b.op("Mul", [features, b.op("Add", [b.op("Reshape", [textScale, channelPlanes]), one])]), b.op("Reshape", [textShift, channelPlanes])]),
    added === null ? timeShift : b.op("Add", [timeShift, added]),
  ]);
  const residual = b.op("Mul", [b.op("Tanh", [modulated]), b.constantFloat("residual_scale", [1], [UNET_RESIDUAL_SCALE])]);
  b.floatOutput(b.op("Add", [latent, residual]), "out_sample", spec.floatType, [batch, channels, height, width]);

  return b.encode(spec.unetExternalData ?? undefined);
}
