import type { TextEncoderIo, UnetIo, VaeDecoderIo, VaeEncoderIo } from "./component-io.ts";
import { ModelLoadError } from "./model-load-error.ts";
import type { ModelFolder, NoiseScheduleConfig, PredictionType } from "./model-folder.ts";
import { fixedDim } from "./tensor-io.ts";
import type { FloatType } from "./tensor-io.ts";

export type ModelFamily = "sd1" | "sd2";

/** What the engine needs to know about a loaded model; plain data, so it can cross a worker boundary. */
export interface ModelFacts {
  /** The model folder's name. */
  readonly name: string;
  readonly dir: string;
  /**
   * First 10 hex digits of the sha256 of unet/model.onnx (the length of A1111's short hash). With external data that
   * file holds the graph, not the weights: it identifies the export, and hashing stays cheap; a single-file fp16
   * UNet (~1.7 GB) takes a few seconds.
   */
  readonly hash: string;
  readonly family: ModelFamily;
  readonly predictionType: PredictionType;
  readonly noiseSchedule: NoiseScheduleConfig;
  readonly latentChannels: number;
  /**
   * The UNet's input channels: latentChannels, or latentChannels + 5 for an inpainting UNet, which also takes the
   * mask (1) and the masked image's latent (A1111's `c_concat`, conditioning key "hybrid").
   */
  readonly unetInChannels: number;
  readonly textHiddenSize: number;
  /** The caller divides latents by it before decodeLatents and multiplies encoded latents by it. */
  readonly vaeScalingFactor: number;
  /** "dynamic", or the batch size the UNet export was fixed to. */
  readonly unetBatch: "dynamic" | number;
  /** The UNet's float type (float16 for fp16 exports). */
  readonly precision: FloatType;
  /** True when the UNet takes int64 timesteps: predictNoise rounds t, fractional timesteps are lost. */
  readonly integerTimesteps: boolean;
  /** The VAE encoder's output, or null when the folder has no VAE encoder. */
  readonly vaeEncoderOutput: VaeEncoderIo["output"] | null;
  readonly tokenizerDir: string;
}

export interface ComponentIos {
  readonly textEncoder: TextEncoderIo;
  readonly unet: UnetIo;
  readonly vaeDecoder: VaeDecoderIo;
  readonly vaeEncoder: VaeEncoderIo | null;
}

/** SD 1.x uses CLIP ViT-L (768), SD 2.x OpenCLIP ViT-H (1024); other sizes (tiny test models) go by the pad token. */
export function detectFamily(textHiddenSize: number, padToken: string | null): ModelFamily {
  if (textHiddenSize === 768) return "sd1";
  if (textHiddenSize === 1024) return "sd2";
  return padToken === "!" ? "sd2" : "sd1";
}


function textHiddenSize(folder: ModelFolder, io: ComponentIos): number {
  const fromText = io.textEncoder.hiddenSize;
  const fromUnet = io.unet.contextHiddenSize;
  if (fromText !== null && fromUnet !== null && fromText !== fromUnet) {
    throw new ModelLoadError(folder.unetPath, `takes encoder_hidden_states of width ${fromUnet}, but the text encoder gives ${fromText}`);
  }
  const size = fromText ?? fromUnet;
  if (size === null) throw new ModelLoadError(folder.textEncoderPath, "last_hidden_state has no fixed hidden size");
  return size;
}

/**
 * Latent channels: the VAE decoder's fixed channel axis, else vae_decoder/config.json, else the UNet's (when it is
 * not an inpainting UNet), else 4 (every SD 1.x/2.x VAE); the diffusers script marks the channel axes dynamic.
 */
function latentChannels(folder: ModelFolder, io: ComponentIos): number {
  return fixedDim(io.vaeDecoder.input, 1) ?? folder.vaeLatentChannels ?? 4;
}

/**
 * The UNet's input channels: its fixed channel axis, else unet/config.json's `in_channels`, else 9 when
 * model_index.json names an inpainting pipeline (diffusers-script exports have neither), else the latent channels.
 * Anything but latent or latent + 5 channels is refused.
 */
function unetInChannels(folder: ModelFolder, io: ComponentIos, latent: number): number {
  const channels =
    fixedDim(io.unet.sample, 1) ?? folder.unetInChannels ?? (/inpaint/i.test(folder.pipelineClass ?? "") ? latent + 5 : latent);
  if (channels !== latent && channels !== latent + 5) {
    throw new ModelLoadError(
      folder.unetPath,
      `takes ${channels} input channels, but the VAE has ${latent} latent channels (expected ${latent}, or ${latent + 5} for an inpainting UNet)`,
    );
  }
  return channels;
}

export function modelFacts(folder: ModelFolder, io: ComponentIos, hash: string): ModelFacts {
  const hidden = textHiddenSize(folder, io);
  const latent = latentChannels(folder, io);
  return {
    name: folder.name,
    dir: folder.dir,
    hash,
    family: detectFamily(hidden, folder.padToken),
    predictionType: folder.predictionType,
    noiseSchedule: folder.noiseSchedule,
    latentChannels: latent,
    unetInChannels: unetInChannels(folder, io, latent),
    textHiddenSize: hidden,
    vaeScalingFactor: folder.vaeScalingFactor,
    unetBatch: fixedDim(io.unet.sample, 0) ?? "dynamic",
    precision: io.unet.floatType,
    integerTimesteps: io.unet.timestep.type === "int64",
    vaeEncoderOutput: io.vaeEncoder?.output ?? null,
    tokenizerDir: folder.tokenizerDir,
  };
}
