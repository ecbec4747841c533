/**
 * Textual-inversion embeddings as A1111 reads them (modules/textual_inversion/textual_inversion.py,
 * `create_embedding_from_data`, v1.10). The loaded data is a dict; its form decides where the vectors are:
 *
 * 1. `string_to_param`: a dict with exactly one entry (A1111's own `.pt` files key it "*") whose tensor is
 *    [vectors, dim].
 * 2. `clip_l` and `clip_g` both present (SDXL): [vectors, 768] for the first text encoder and [vectors, 1280] for
 *    the second; `shape` is the sum of their widths (2048), `vectors` the row count of clip_g.
 * 3. otherwise exactly one tensor ("diffuser concepts", and kohya's `emb_params` safetensors); a 1-D tensor is one
 *    vector.
 *
 * `step`, `sd_checkpoint` and `sd_checkpoint_name` are read from the same dict (`data.get(...)`). A .safetensors
 * embedding is loaded with `safetensors.torch.load_file`, which returns tensors only, so for those files the three
 * are always null, whatever `__metadata__` says; A1111 lists them that way in `/sdapi/v1/embeddings` (`step`,
 * `sd_checkpoint`, `sd_checkpoint_name`, `shape`, `vectors`). The header's `__metadata__` is returned separately
 * for callers that want it. The dict forms with real values come from pickled `.pt` files, which Serena refuses,
 * and from A1111's embedding images, whose `sd-ti-embedding` PNG text chunk is the same dict as base64 JSON
 * (`embedding_from_b64`, tensors as `{"TORCHTENSOR": nested lists}`): {@link embeddingFromB64} reads that.
 *
 * Stricter than A1111 where A1111 would load something that later fails: vectors must be 2-D (1-D only in form 3)
 * and clip_l/clip_g must have the same number of rows.
 */
import { NetworkFileError } from "./network-file-error.ts";
import { withSafetensors, type Tensor } from "./safetensors.ts";

/** A value of the loaded dict: a tensor, a nested dict, or a plain JSON value. */
export type EmbeddingValue = Tensor | EmbeddingData | string | number | boolean | null | readonly EmbeddingValue[];
export type EmbeddingData = ReadonlyMap<string, EmbeddingValue>;

export type EmbeddingForm = "string_to_param" | "sdxl" | "single_tensor";

export interface TextualInversion {
  form: EmbeddingForm;
  /**
   * The vectors per text encoder, each [vectorCount, width]: `text_encoder` (CLIP-L for SDXL's clip_l) and, for
   * SDXL, `text_encoder_2` (clip_g).
   */
  vectors: { text_encoder: Tensor; text_encoder_2?: Tensor };
  /** A1111 `Embedding.shape`: the vector width (768 SD 1.x, 1024 SD 2.x, 768 + 1280 = 2048 SDXL). */
  shape: number;
  /** A1111 `Embedding.vectors`: how many tokens the embedding stands for. */
  vectorCount: number;
  step: number | null;
  sd_checkpoint: string | null;
  sd_checkpoint_name: string | null;
  /** `name` from the dict (embedding images carry one); A1111 otherwise names an embedding by its file. */
  name: string | null;
}

export const isTensor = (value: unknown): value is Tensor =>
  typeof value === "object" && value !== null && (value as Tensor).data instanceof Float32Array && Array.isArray((value as Tensor).shape);

const unsupported = (source: string, problem: string) => new NetworkFileError(source, "unsupported", problem);

function matrix(source: string, what: string, value: EmbeddingValue | undefined, allowVector: boolean): Tensor {
  if (!isTensor(value)) throw unsupported(source, `${what} is not a tensor`);
  if (allowVector && value.shape.length === 1) return { shape: [1, value.shape[0]], data: value.data };
  if (value.shape.length !== 2) {
    throw unsupported(source, `${what} has shape ${JSON.stringify(value.shape)}; an embedding is [vectors, width]`);
  }
  return value;
}

const numberOrNull = (value: EmbeddingValue | undefined) => (typeof value === "number" ? value : null);
const stringOrNull = (value: EmbeddingValue | undefined) => (typeof value === "string" ? value : null);

/** A1111 `create_embedding_from_data` over an already-loaded dict; `source` names it in errors. */
export function embeddingFromData(data: EmbeddingData, source: string): TextualInversion {
  let form: EmbeddingForm;
  let vectors: TextualInversion["vectors"];
  let shape: number;
  let vectorCount: number;
  const stringToParam = data.get("string_to_param");
  if (stringToParam !== undefined) {
    if (!(stringToParam instanceof Map)) throw unsupported(source, "string_to_param is not a dict");
    if (stringToParam.size !== 1) throw unsupported(source, "embedding file has multiple terms in it");
    const [[term, value]] = stringToParam;
    const vec = matrix(source, `string_to_param[${JSON.stringify(term)}]`, value, false);
    form = "string_to_param";
    vectors = { text_encoder: vec };
    [vectorCount, shape] = vec.shape as [number, number];
  } else if (data.has("clip_g") && data.has("clip_l")) {
    const clipL = matrix(source, "clip_l", data.get("clip_l"), false);
    const clipG = matrix(source, "clip_g", data.get("clip_g"), false);
    if (clipL.shape[0] !== clipG.shape[0]) {
      throw unsupported(source, `clip_l has ${clipL.shape[0]} vectors but clip_g has ${clipG.shape[0]}`);
    }
    form = "sdxl";
    vectors = { text_encoder: clipL, text_encoder_2: clipG };
    shape = clipG.shape[1] + clipL.shape[1];
    vectorCount = clipG.shape[0];
  } else {
    const first = data.values().next();
    if (first.done || !isTensor(first.value)) {
      throw unsupported(source, "is neither a textual inversion embedding nor a diffuser concept");
    }
    if (data.size !== 1) throw unsupported(source, "embedding file has multiple terms in it");
    const [[term, value]] = data;
    const vec = matrix(source, `tensor ${JSON.stringify(term)}`, value, true);
    form = "single_tensor";
    vectors = { text_encoder: vec };
    [vectorCount, shape] = vec.shape as [number, number];
  }
  return {
    form,
    vectors,
    shape,
    vectorCount,
    step: numberOrNull(data.get("step")),
    sd_checkpoint: stringOrNull(data.get("sd_checkpoint")),
    sd_checkpoint_name: stringOrNull(data.get("sd_checkpoint_name")),
    name: stringOrNull(data.get("name")),
  };
}

/**
 * A .safetensors embedding. Only the tensors the form needs are read (the header decides the form), so a large file
 * that is not an embedding costs its header.
 */
export async function readEmbeddingFile(path: string): Promise<TextualInversion & { metadata: Readonly<Record<string, string>> }> {
  return withSafetensors(path, async (file) => {
    const names = [...file.tensors.keys()];
    if (names.length === 0) throw unsupported(path, "holds no tensors");
    // A safetensors key cannot hold a dict, so a tensor called "string_to_param" is not form 1 (A1111 fails on it).
    if (names.includes("string_to_param")) throw unsupported(path, "string_to_param is not a dict");
    const sdxl = names.includes("clip_l") && names.includes("clip_g");
    if (!sdxl && names.length !== 1) throw unsupported(path, "embedding file has multiple terms in it");
    const wanted = sdxl ? ["clip_l", "clip_g"] : names;
    const data = new Map<string, Tensor>();
    for (const name of wanted) data.set(name, await file.readTensor(name));
    return { ...embeddingFromData(data, path), metadata: file.metadata };
  });
}

/** A1111's EmbeddingDecoder: `{"TORCHTENSOR": nested lists}` → a tensor (numpy turns the lists into an array). */
function decodeTensor(source: string, lists: unknown): Tensor {
  const shape: number[] = [];
  for (let level: unknown = lists; Array.isArray(level); level = level[0]) shape.push(level.length);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  let written = 0;
  const walk = (value: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof value !== "number") throw unsupported(source, "a TORCHTENSOR holds a non-number");
      data[written++] = value;
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) throw unsupported(source, "a TORCHTENSOR is not rectangular");
    for (const item of value) walk(item, depth + 1);
  };
  walk(lists, 0);
  return { shape, data };
}

function fromJson(source: string, value: unknown): EmbeddingValue {
  if (Array.isArray(value)) return value.map((item) => fromJson(source, item));
  if (typeof value !== "object" || value === null) return value as EmbeddingValue;
  if (Object.hasOwn(value, "TORCHTENSOR")) return decodeTensor(source, (value as { TORCHTENSOR: unknown }).TORCHTENSOR);
  return new Map(Object.entries(value).map(([key, item]) => [key, fromJson(source, item)]));
}

/** The dict an A1111 embedding image carries in its `sd-ti-embedding` text chunk (base64 of JSON). */
export function embeddingFromB64(text: string, source: string): TextualInversion {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64").toString("utf8"));
  } catch (cause) {
    throw new NetworkFileError(source, "malformed", "sd-ti-embedding is not base64 JSON", { cause });
  }
  const data = fromJson(source, parsed);
  if (!(data instanceof Map)) throw unsupported(source, "sd-ti-embedding is not a JSON object");
  return embeddingFromData(data, source);
}
