import type { TextEncoderIo, UnetIo, VaeDecoderIo, VaeEncoderIo } from "./component-io.ts";
import { ModelLoadError } from "./model-load-error.ts";
import type { ModelFolder, NoiseScheduleConfig, PredictionType } from "./model-folder.ts";
import { fixedDim } from "./tensor-io.ts";
import type { FloatType } from "./tensor-io.ts";

export type ModelFamily = "sd1" | "sd2" | "sdxl";

/**
 * What an SDXL model's conditioning needs (A1111 modules/sd_models_xl.py `get_learned_conditioning` over sgm's
 * GeneralConditioner): the context is each text encoder's penultimate hidden states side by side, and the UNet also
 * takes text_encoder_2's pooled output and the size/crop (base) or size/crop/aesthetic-score (refiner) time ids.
 */
export interface SdxlFacts {
  /** Each text encoder's width in context order: [CLIP ViT-L, OpenCLIP ViT-bigG] ([768, 1280]), or [bigG] alone in a refiner. */
  readonly encoderWidths: readonly number[];
  /** text_encoder_2's pooled (projected) width, the UNet's `text_embeds` (1280). */
  readonly pooledWidth: number;
  /**
   * The UNet's time ids: "size" = original size (h, w), crop (top, left), target size (h, w) as SDXL base takes
   * them; "aesthetic" = original size, crop, aesthetic score as the refiner does (sgm conditioner configs
   * sd_xl_base.yaml / sd_xl_refiner.yaml).
   */
  readonly timeIds: "size" | "aesthetic";
}

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
  /** SDXL: tokenizer_2/ (text_encoder_2's, padding with "!"); null otherwise. */
  readonly tokenizer2Dir: string | null;
  /** SDXL's conditioning shape; null for SD 1.x/2.x. */
  readonly sdxl: SdxlFacts | null;
}

export interface ComponentIos {
  /** null in an SDXL refiner, which has text_encoder_2 alone. */
  readonly textEncoder: TextEncoderIo | null;
  readonly textEncoder2: TextEncoderIo | null;
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


function textHiddenSize(folder: ModelFolder, io: ComponentIos, sdxl: SdxlFacts | null): number {
  const fromText = sdxl === null ? (io.textEncoder?.hiddenSize ?? null) : sdxl.encoderWidths.reduce((sum, width) => sum + width, 0);
  const fromUnet = io.unet.contextHiddenSize;
  if (fromText !== null && fromUnet !== null && fromText !== fromUnet) {
    throw new ModelLoadError(folder.unetPath, `takes encoder_hidden_states of width ${fromUnet}, but the text encoder gives ${fromText}`);
  }
  const size = fromText ?? fromUnet;
  if (size === null) throw new ModelLoadError(folder.textEncoderPath ?? folder.unetPath, "last_hidden_state has no fixed hidden size");
  return size;
}

/**
 * SDXL is recognised by the UNet's inputs (`text_embeds`, `time_ids`), never by model_index.json alone; the widths
 * come from the sessions: each encoder's hidden size, the pooled width from the UNet's `text_embeds` (else the
 * encoder's output), the time-id count from `time_ids` (else 5 in a folder without text_encoder, as refiners are).
 */
function sdxlFacts(folder: ModelFolder, io: ComponentIos): SdxlFacts | null {
  const added = io.unet.added;
  if (added === null) {
    if (io.textEncoder2 !== null) {
      throw new ModelLoadError(folder.unetPath, "has no text_embeds and time_ids inputs, but the folder has text_encoder_2 (an SDXL UNet takes both)");
    }
    return null;
  }
  const encoder2 = io.textEncoder2;
  if (encoder2 === null || folder.textEncoder2Path === null) {
    throw new ModelLoadError(folder.unetPath, "takes SDXL's text_embeds and time_ids, but the folder has no text_encoder_2/model.onnx");
  }
  const path2 = folder.textEncoder2Path;
  const encoders = [io.textEncoder, encoder2].filter((encoder): encoder is TextEncoderIo => encoder !== null);
  if (encoder2.pooled === null) throw new ModelLoadError(path2, "has neither text_embeds nor pooler_output; SDXL's UNet takes the pooled output");
  const pooledWidth = added.textEmbedsWidth ?? encoder2.pooledWidth;
  if (pooledWidth === null) throw new ModelLoadError(folder.unetPath, "text_embeds has no fixed width, nor does text_encoder_2's pooled output");
  if (encoder2.pooledWidth !== null && encoder2.pooledWidth !== pooledWidth) {
    throw new ModelLoadError(folder.unetPath, `takes text_embeds of width ${pooledWidth}, but text_encoder_2's ${encoder2.pooled} is ${encoder2.pooledWidth} wide`);
  }
  const count = added.timeIdCount ?? (folder.textEncoderPath === null ? 5 : 6);
  if (count !== 5 && count !== 6) {
    throw new ModelLoadError(folder.unetPath, `takes ${count} time ids; SDXL takes 6 (sizes and crop) and its refiner 5 (with an aesthetic score)`);
  }
  const widths = encoders.map((encoder, i) => {
    if (encoder.hiddenSize === null) throw new ModelLoadError(i === 0 ? (folder.textEncoderPath ?? path2) : path2, "last_hidden_state has no fixed hidden size");
    return encoder.hiddenSize;
  });
  return { encoderWidths: widths, pooledWidth, timeIds: count === 6 ? "size" : "aesthetic" };
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
  const sdxl = sdxlFacts(folder, io);
  const hidden = textHiddenSize(folder, io, sdxl);
  const latent = latentChannels(folder, io);
  return {
    name: folder.name,
    dir: folder.dir,
    hash,
    family: sdxl === null ? detectFamily(hidden, folder.padToken) : "sdxl",
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
    tokenizer2Dir: folder.tokenizer2Dir,
    sdxl,
  };
}
