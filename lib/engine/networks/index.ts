export { NetworkFileError } from "./network-file-error.ts";
export type { NetworkFileProblem } from "./network-file-error.ts";
export { MAX_HEADER_BYTES, SafetensorsFile, parseSafetensorsHeader, withSafetensors } from "./safetensors.ts";
export type { SafetensorsDtype, SafetensorsHeader, Tensor, TensorInfo } from "./safetensors.ts";
export { isTextModulePath, isUnetModulePath, textPathFromKohya, unetPathFromKohya } from "./module-paths.ts";
export type { UnetNaming } from "./module-paths.ts";
export {
  a1111FusedAttentionFilter,
  a1111LoraMetadata,
  loadLoraModule,
  loraDelta,
  loraDeltaShape,
  planLora,
  readLoraFile,
} from "./lora-format.ts";
export type { LoraEntry, LoraFile, LoraModule, LoraNaming, LoraPlan, LoraTarget } from "./lora-format.ts";
export { embeddingFromB64, embeddingFromData, readEmbeddingFile } from "./embedding-format.ts";
export type { EmbeddingData, EmbeddingForm, EmbeddingValue, TextualInversion } from "./embedding-format.ts";
export {
  addnetHashSafetensors,
  embeddingHash,
  fileSha256,
  formatLoraHashes,
  formatTiHashes,
  loraHash,
  networkShortHash,
} from "./hashes.ts";
export type { NamedHash } from "./hashes.ts";
