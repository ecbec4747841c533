export { EXTRA_TOKEN_ID_BASE, loadModel } from "./load-model.ts";
export type { AddedCondition, DiffusionModel, LatentEncoding, SdxlTextEncoding, SdxlTextSpec, LoadModelOptions, Shape3, Shape4, TextEncoderSpec, TokenRows } from "./load-model.ts";
export type { AppliedLora, LoraPatchReport } from "./lora-patch.ts";
export type { ModelFacts, ModelFamily, SdxlFacts } from "./model-facts.ts";
export { DEFAULT_VAE_SCALING_FACTOR, SDXL_VAE_SCALING_FACTOR } from "./model-folder.ts";
export type { NoiseScheduleConfig, PredictionType } from "./model-folder.ts";
export { ModelLoadError } from "./model-load-error.ts";
export { float16Tensor, float16ToFloat32 } from "./float16.ts";
