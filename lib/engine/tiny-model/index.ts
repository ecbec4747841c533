export { TINY_INPAINTING_VARIANT, TINY_MODEL_VARIANTS, TINY_SDXL_VARIANTS, tinyModelSpec } from "./variants.ts";
export type { ExporterAxes, TinyModelSpec, TinyModelVariant, TinySdxlSpec } from "./variants.ts";
export { CLIP_TOKENIZER_SOURCES, DEFAULT_TINY_MODEL_SEED, ensureTinyModel, writeTinyModel } from "./write-tiny-model.ts";
export type { TinyModelOptions } from "./write-tiny-model.ts";
export { UNET_RESIDUAL_SCALE } from "./unet-graph.ts";
export { SD_VAE_SCALING_FACTOR } from "./vae-weights.ts";
