import type { Dim } from "./onnx-graph-builder.ts";

/**
 * The exporter variants the tiny model can imitate. Each one reproduces the IO contract (names, dtypes, ranks,
 * dynamic axes, external data file, JSON files) of a real exporter generation, per docs/engine-reference.md §1.2:
 *
 * | variant              | exporter                      | input_ids | timestep            | vae_encoder out          | unet external data |
 * |----------------------|-------------------------------|-----------|---------------------|--------------------------|--------------------|
 * | `sd1-diffusers`      | diffusers convert script      | int32     | float32 [batch]     | latent_sample (4 ch)     | weights.pb         |
 * | `sd1-diffusers-fp16` | diffusers script `--fp16`     | int32     | float16 [batch]     | latent_sample (4 ch)     | weights.pb         |
 * | `sd1-optimum-1.22`   | optimum < 1.23                | int64     | int64 [steps]       | latent_sample (4 ch)     | none (inline)      |
 * | `sd2-optimum-1.23`   | optimum 1.23, SD 2.x 768-v    | int64     | int64 [steps]       | latent_parameters (8 ch) | model.onnx_data    |
 * | `sd1-optimum-1.24`   | optimum ≥ 1.24 / optimum-onnx | int64     | float32 [] (rank 0) | latent_parameters (8 ch) | model.onnx_data    |
 *
 * The fp16 variant has float16 IO everywhere, timestep included, and float16 weights; inside, it computes in
 * float32 (the CPU execution provider has no float16 kernels for most ops), so only its storage and IO are half
 * precision. The SD 2.x variant has the pad token "!" (id 0), `prediction_type: "v_prediction"` and a wider text
 * embedding. optimum writes external data only for models over 2 GB, so `sd1-optimum-1.22` stands for the exports
 * that keep everything inside model.onnx (small or fp16 UNets). Real `latent_sample` exports *sample* the posterior
 * (a RandomNormalLike node); the tiny encoder returns its mean, so it is deterministic. The SD 1.x variants share
 * their weights (see seeded-normals.ts), so they compute the same function behind different IO.
 */
export const TINY_MODEL_VARIANTS = [
  "sd1-diffusers",
  "sd1-diffusers-fp16",
  "sd1-optimum-1.22",
  "sd2-optimum-1.23",
  "sd1-optimum-1.24",
] as const;

/**
 * An SD 1.x inpainting model (runwayml/stable-diffusion-inpainting's shape) in optimum ≥ 1.24's layout: its UNet takes
 * 9 channels, the latent (4), the mask (1) and the masked image's latent (4), and returns 4. Kept out of
 * TINY_MODEL_VARIANTS, which lists the exporters of plain text-to-image models.
 */
export const TINY_INPAINTING_VARIANT = "sd1-inpainting";

/**
 * SDXL in optimum's layout (optimum exporters `_get_submodels_for_export_diffusion` for StableDiffusionXLPipeline):
 * text_encoder (CLIP ViT-L-like) and text_encoder_2 (OpenCLIP bigG-like, with `text_embeds`), both with
 * `hidden_states.N` outputs, tokenizer_2 padding with "!", a UNet that also takes `text_embeds` and `time_ids`, the
 * VAE with SDXL's scaling factor 0.13025; the refiner variant has text_encoder_2 alone and 5 time ids (aesthetic
 * score). Kept out of TINY_MODEL_VARIANTS (SD 1.x/2.x exporters). These graphs are this generator's own, unlike
 * model-builder's `sdxl-tiny` preset with the real module structure: two independent exports with the same IO.
 */
export const TINY_SDXL_VARIANTS = ["sdxl-optimum", "sdxl-refiner-optimum"] as const;

export type TinyModelVariant = (typeof TINY_MODEL_VARIANTS)[number] | typeof TINY_INPAINTING_VARIANT | (typeof TINY_SDXL_VARIANTS)[number];

/** SDXL's additions to a tiny spec. */
export interface TinySdxlSpec {
  /** text_encoder_2's hidden size (bigG's 1280 in SDXL); text_encoder's is textHiddenSize. */
  readonly textHiddenSize2: number;
  /** text_encoder_2's projection (`text_embeds`) width, the UNet's text_embeds. */
  readonly pooledWidth: number;
  /** false: base model (text_encoder and text_encoder_2, 6 time ids); true: refiner (text_encoder_2, 5 time ids). */
  readonly refiner: boolean;
}

/** Names the exporter gives the dynamic axes (diffusers script `dynamic_axes`; optimum `OnnxConfig.inputs/outputs`). */
export interface ExporterAxes {
  readonly batch: string;
  readonly sequence: string;
  readonly height: string;
  readonly width: string;
  readonly latentHeight: string;
  readonly latentWidth: string;
  /** The channel axis name, or null where the exporter leaves channels fixed. */
  readonly channels: string | null;
}

export interface TinyModelSpec {
  readonly exporter: "diffusers" | "optimum";
  readonly family: "sd1" | "sd2" | "sdxl";
  /** CLIP hidden size: real SD 1.x has 768 and SD 2.x 1024; the tiny model keeps their order at 32 and 48. */
  readonly textHiddenSize: number;
  readonly padToken: string;
  readonly predictionType: "epsilon" | "v_prediction";
  readonly floatType: "float32" | "float16";
  readonly inputIdsType: "int32" | "int64";
  readonly timestepType: "float32" | "float16" | "int64";
  readonly timestepDims: readonly Dim[];
  readonly vaeEncoderOutput: "latent_sample" | "latent_parameters";
  readonly unetExternalData: string | null;
  readonly axes: ExporterAxes;
  /** The UNet's input channels: 4, or 9 for an inpainting UNet. */
  readonly unetInChannels: 4 | 9;
  /** SDXL variants only. */
  readonly sdxl?: TinySdxlSpec;
}

const DIFFUSERS_AXES: ExporterAxes = {
  batch: "batch",
  sequence: "sequence",
  height: "height",
  width: "width",
  latentHeight: "height",
  latentWidth: "width",
  channels: "channels",
};

const OPTIMUM_AXES: ExporterAxes = {
  batch: "batch_size",
  sequence: "sequence_length",
  height: "height",
  width: "width",
  latentHeight: "height_latent",
  latentWidth: "width_latent",
  channels: null,
};

const SD1 = { family: "sd1", textHiddenSize: 32, padToken: "<|endoftext|>", predictionType: "epsilon", unetInChannels: 4 } as const;

const DIFFUSERS_SCRIPT = {
  exporter: "diffusers",
  inputIdsType: "int32",
  timestepDims: ["batch"],
  vaeEncoderOutput: "latent_sample",
  unetExternalData: "weights.pb",
  axes: DIFFUSERS_AXES,
} as const;

/** optimum ≥ 1.24's IO: a float32 scalar timestep, `latent_parameters` from the VAE encoder, `model.onnx_data`. */
const OPTIMUM_1_24 = {
  exporter: "optimum",
  floatType: "float32",
  inputIdsType: "int64",
  timestepType: "float32",
  timestepDims: [],
  vaeEncoderOutput: "latent_parameters",
  unetExternalData: "model.onnx_data",
  axes: OPTIMUM_AXES,
} as const;

const OPTIMUM_SDXL = {
  ...OPTIMUM_1_24,
  family: "sdxl",
  textHiddenSize: 32,
  padToken: "<|endoftext|>",
  predictionType: "epsilon",
  unetInChannels: 4,
} as const;

const SPECS: Record<TinyModelVariant, TinyModelSpec> = {
  "sdxl-optimum": { ...OPTIMUM_SDXL, sdxl: { textHiddenSize2: 48, pooledWidth: 24, refiner: false } },
  "sdxl-refiner-optimum": { ...OPTIMUM_SDXL, padToken: "!", sdxl: { textHiddenSize2: 48, pooledWidth: 24, refiner: true } },
  "sd1-diffusers": { ...SD1, ...DIFFUSERS_SCRIPT, floatType: "float32", timestepType: "float32" },
  "sd1-diffusers-fp16": { ...SD1, ...DIFFUSERS_SCRIPT, floatType: "float16", timestepType: "float16" },
  "sd1-optimum-1.22": {
    ...SD1,
    exporter: "optimum",
    floatType: "float32",
    inputIdsType: "int64",
    timestepType: "int64",
    timestepDims: ["steps"],
    vaeEncoderOutput: "latent_sample",
    unetExternalData: null,
    axes: OPTIMUM_AXES,
  },
  "sd2-optimum-1.23": {
    exporter: "optimum",
    family: "sd2",
    textHiddenSize: 48,
    padToken: "!",
    predictionType: "v_prediction",
    floatType: "float32",
    inputIdsType: "int64",
    timestepType: "int64",
    timestepDims: ["steps"],
    vaeEncoderOutput: "latent_parameters",
    unetExternalData: "model.onnx_data",
    axes: OPTIMUM_AXES,
    unetInChannels: 4,
  },
  "sd1-optimum-1.24": { ...SD1, ...OPTIMUM_1_24 },
  [TINY_INPAINTING_VARIANT]: { ...SD1, ...OPTIMUM_1_24, unetInChannels: 9 },
};

export function tinyModelSpec(variant: TinyModelVariant): TinyModelSpec {
  return SPECS[variant];
}
