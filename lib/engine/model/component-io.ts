import { Tensor } from "onnxruntime-node";
import type { InferenceSession } from "onnxruntime-node";
import { float16Tensor } from "./float16.ts";
import { ModelLoadError } from "./model-load-error.ts";
import { findTensorIo, fixedDim, requireFloat, requireRank } from "./tensor-io.ts";
import type { FloatType, TensorIo } from "./tensor-io.ts";

/**
 * The IO contract of each SD component, read from the ONNX sessions' metadata. Exporters disagree on dtypes and
 * ranks (docs/engine-reference.md §0.1, §1.2), so nothing here is assumed: names are the ones every exporter shares, types
 * and ranks are whatever the file says.
 */

function requireExactInputs(session: InferenceSession, file: string, expected: readonly string[]): void {
  const extra = session.inputNames.filter((name) => !expected.includes(name));
  if (extra.length > 0) {
    throw new ModelLoadError(file, `has unsupported inputs ${extra.join(", ")} (expected only ${expected.join(", ")})`);
  }
}

export interface TextEncoderIo {
  readonly idsType: "int32" | "int64";
  readonly output: string;
  readonly floatType: FloatType;
  /** Hidden size when the export fixes it (it always does for CLIP). */
  readonly hiddenSize: number | null;
  /**
   * `hidden_states.0` … `hidden_states.N` in order (the embeddings, then each layer's output), when the export has
   * them (optimum with output_hidden_states, which it always sets for SDXL's encoders); empty otherwise.
   */
  readonly hiddenStates: readonly string[];
  /**
   * The pooled output: `text_embeds` (CLIPTextModelWithProjection, SDXL's text_encoder_2: the EOS state after the
   * final layer norm, projected) or else `pooler_output` (CLIPTextModel); null when the export has neither.
   */
  readonly pooled: string | null;
  /** The pooled output's width when the export fixes it. */
  readonly pooledWidth: number | null;
}

/** `hidden_states.K` outputs numbered 0…N without gaps, in order; empty when there are none. */
function hiddenStateOutputs(session: InferenceSession, file: string): string[] {
  const indices = session.outputNames.flatMap((name) => {
    const match = /^hidden_states\.(\d+)$/.exec(name);
    return match === null ? [] : [Number(match[1])];
  });
  indices.sort((a, b) => a - b);
  if (indices.some((index, i) => index !== i)) {
    throw new ModelLoadError(file, `has hidden_states outputs ${indices.join(", ")}; expected hidden_states.0 to hidden_states.N without gaps`);
  }
  return indices.map((index) => `hidden_states.${index}`);
}

/** `input_ids` is int32 (diffusers script, Olive) or int64 (optimum); the output is `last_hidden_state`. */
export function readTextEncoderIo(session: InferenceSession, file: string): TextEncoderIo {
  requireExactInputs(session, file, ["input_ids"]);
  const ids = findTensorIo(session, file, "input", "input_ids");
  requireRank(ids, file, 2);
  if (ids.type !== "int32" && ids.type !== "int64") {
    throw new ModelLoadError(file, `"input_ids" is ${ids.type}; expected int32 or int64`);
  }
  const output = findTensorIo(session, file, "output", "last_hidden_state");
  requireRank(output, file, 3);
  const hidden = output.shape[2];
  const pooled = ["text_embeds", "pooler_output"].find((name) => session.outputNames.includes(name)) ?? null;
  const pooledIo = pooled === null ? null : findTensorIo(session, file, "output", pooled);
  if (pooledIo !== null) requireRank(pooledIo, file, 2);
  return {
    idsType: ids.type,
    output: output.name,
    floatType: requireFloat(output, file),
    hiddenSize: typeof hidden === "number" && hidden > 0 ? hidden : null,
    hiddenStates: hiddenStateOutputs(session, file),
    pooled,
    pooledWidth: pooledIo === null ? null : fixedDim(pooledIo, 1),
  };
}

export function tokenIdsTensor(type: "int32" | "int64", ids: Int32Array, dims: readonly number[]): Tensor {
  return type === "int32" ? new Tensor("int32", ids, dims) : new Tensor("int64", BigInt64Array.from(ids, BigInt), dims);
}

/**
 * How the UNet takes its timestep: float32/float16 or int64, and as a rank-0 scalar (optimum ≥ 1.24), a vector of
 * fixed length (e.g. [1]) or a vector of dynamic length ([batch] in the diffusers script, [steps] in optimum < 1.24).
 */
export interface TimestepIo {
  readonly type: "float32" | "float16" | "int64";
  readonly length: "scalar" | "dynamic" | number;
}

/**
 * SDXL's added conditioning inputs (diffusers UNet2DConditionModel with addition_embed_type "text_time", as optimum's
 * UNetOnnxConfig exports it): `text_embeds` [B, pooled width] and `time_ids` [B, n], n = 6 for the base model
 * (original size, crop, target size) and 5 for the refiner (original size, crop, aesthetic score).
 */
export interface AddedConditionIo {
  readonly textEmbedsType: FloatType;
  /** The pooled width when the export fixes it (1280 for SDXL). */
  readonly textEmbedsWidth: number | null;
  readonly timeIdsType: FloatType;
  /** The time-id count when the export fixes it. */
  readonly timeIdCount: number | null;
}

export interface UnetIo {
  readonly sample: TensorIo;
  readonly floatType: FloatType;
  readonly timestep: TimestepIo;
  readonly contextType: FloatType;
  readonly contextHiddenSize: number | null;
  readonly output: string;
  /** SDXL's `text_embeds` and `time_ids`; null for SD 1.x/2.x UNets. */
  readonly added: AddedConditionIo | null;
}

function readAddedConditionIo(session: InferenceSession, file: string): AddedConditionIo | null {
  const has = ["text_embeds", "time_ids"].map((name) => session.inputNames.includes(name));
  if (!has[0] && !has[1]) return null;
  if (!has[0] || !has[1]) throw new ModelLoadError(file, `takes ${has[0] ? "text_embeds" : "time_ids"} without ${has[0] ? "time_ids" : "text_embeds"}; SDXL UNets take both`);
  const textEmbeds = findTensorIo(session, file, "input", "text_embeds");
  requireRank(textEmbeds, file, 2);
  const timeIds = findTensorIo(session, file, "input", "time_ids");
  requireRank(timeIds, file, 2);
  return {
    textEmbedsType: requireFloat(textEmbeds, file),
    textEmbedsWidth: fixedDim(textEmbeds, 1),
    timeIdsType: requireFloat(timeIds, file),
    timeIdCount: fixedDim(timeIds, 1),
  };
}

export function readUnetIo(session: InferenceSession, file: string): UnetIo {
  requireExactInputs(session, file, ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"]);
  const sample = findTensorIo(session, file, "input", "sample");
  requireRank(sample, file, 4);
  const timestep = findTensorIo(session, file, "input", "timestep");
  if (timestep.type !== "float32" && timestep.type !== "float16" && timestep.type !== "int64") {
    throw new ModelLoadError(file, `"timestep" is ${timestep.type}; expected float32, float16 or int64`);
  }
  if (timestep.shape.length > 1) {
    throw new ModelLoadError(file, `"timestep" has rank ${timestep.shape.length}; expected a scalar or a vector`);
  }
  const dim = timestep.shape[0];
  const length = timestep.shape.length === 0 ? "scalar" : typeof dim === "number" && dim > 0 ? dim : "dynamic";
  const context = findTensorIo(session, file, "input", "encoder_hidden_states");
  requireRank(context, file, 3);
  const output = findTensorIo(session, file, "output", "out_sample");
  requireRank(output, file, 4);
  requireFloat(output, file);
  const hidden = context.shape[2];
  return {
    sample,
    floatType: requireFloat(sample, file),
    timestep: { type: timestep.type, length },
    contextType: requireFloat(context, file),
    contextHiddenSize: typeof hidden === "number" && hidden > 0 ? hidden : null,
    output: output.name,
    added: readAddedConditionIo(session, file),
  };
}

/**
 * The timestep tensor for one UNet call on `batch` samples. Dynamic-length vectors get one copy per sample (a
 * traced `timesteps.expand(batch)` accepts [1] or [batch]; [batch] also suits exports without the expand).
 * int64 exports take whole timesteps: t is rounded, so the fractional t of k-diffusion samplers is lost
 * (docs/engine-reference.md §0.2).
 */
export function timestepTensor(io: TimestepIo, t: number, batch: number): Tensor {
  const dims = io.length === "scalar" ? [] : [io.length === "dynamic" ? batch : io.length];
  const count = dims.length === 0 ? 1 : dims[0];
  if (io.type === "int64") return new Tensor("int64", new BigInt64Array(count).fill(BigInt(Math.round(t))), dims);
  const values = new Float32Array(count).fill(t);
  return io.type === "float32" ? new Tensor("float32", values, dims) : float16Tensor(values, dims);
}

export interface VaeDecoderIo {
  readonly input: TensorIo;
  readonly floatType: FloatType;
  readonly output: string;
}

export function readVaeDecoderIo(session: InferenceSession, file: string): VaeDecoderIo {
  requireExactInputs(session, file, ["latent_sample"]);
  const input = findTensorIo(session, file, "input", "latent_sample");
  requireRank(input, file, 4);
  const output = findTensorIo(session, file, "output", "sample");
  requireRank(output, file, 4);
  requireFloat(output, file);
  return { input, floatType: requireFloat(input, file), output: output.name };
}

export interface VaeEncoderIo {
  readonly floatType: FloatType;
  /**
   * `latent_parameters`: mean ++ logvar on the channel axis (optimum ≥ 1.23). `latent_sample`: a sample drawn
   * inside the graph by a RandomNormalLike node (diffusers script, optimum < 1.23), not seedable from here.
   */
  readonly output: "latent_parameters" | "latent_sample";
}

export function readVaeEncoderIo(session: InferenceSession, file: string): VaeEncoderIo {
  requireExactInputs(session, file, ["sample"]);
  const input = findTensorIo(session, file, "input", "sample");
  requireRank(input, file, 4);
  const output = session.outputNames.includes("latent_parameters") ? "latent_parameters" : "latent_sample";
  requireRank(findTensorIo(session, file, "output", output), file, 4);
  return { floatType: requireFloat(input, file), output };
}
