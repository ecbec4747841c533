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
 * Latent channels: the UNet's or VAE decoder's fixed channel axis, else vae_decoder/config.json, else 4 (every SD
 * 1.x/2.x VAE); the diffusers script marks the channel axes dynamic. A UNet that takes more channels than the VAE
 * makes (inpainting: 9) is refused.
 */
function latentChannels(folder: ModelFolder, io: ComponentIos): number {
  const fromUnet = fixedDim(io.unet.sample, 1);
  const fromVae = fixedDim(io.vaeDecoder.input, 1) ?? folder.vaeLatentChannels;
  if (fromUnet !== null && fromVae !== null && fromUnet !== fromVae) {
    throw new ModelLoadError(
      folder.unetPath,
      `takes ${fromUnet} latent channels but the VAE has ${fromVae} (inpainting UNets are not supported)`,
    );
  }
  return fromUnet ?? fromVae ?? 4;
}

export function modelFacts(folder: ModelFolder, io: ComponentIos, hash: string): ModelFacts {
  const hidden = textHiddenSize(folder, io);
  return {
    name: folder.name,
    dir: folder.dir,
    hash,
    family: detectFamily(hidden, folder.padToken),
    predictionType: folder.predictionType,
    noiseSchedule: folder.noiseSchedule,
    latentChannels: latentChannels(folder, io),
    textHiddenSize: hidden,
    vaeScalingFactor: folder.vaeScalingFactor,
    unetBatch: fixedDim(io.unet.sample, 0) ?? "dynamic",
    precision: io.unet.floatType,
    integerTimesteps: io.unet.timestep.type === "int64",
    vaeEncoderOutput: io.vaeEncoder?.output ?? null,
    tokenizerDir: folder.tokenizerDir,
  };
}
