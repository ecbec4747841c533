import { Tensor } from "onnxruntime-node";
import type { InferenceSession } from "onnxruntime-node";
import { float16Tensor } from "./float16.ts";
import { ModelLoadError } from "./model-load-error.ts";
import { findTensorIo, requireFloat, requireRank } from "./tensor-io.ts";
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
  return {
    idsType: ids.type,
    output: output.name,
    floatType: requireFloat(output, file),
    hiddenSize: typeof hidden === "number" && hidden > 0 ? hidden : null,
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

export interface UnetIo {
  readonly sample: TensorIo;
  readonly floatType: FloatType;
  readonly timestep: TimestepIo;
  readonly contextType: FloatType;
  readonly contextHiddenSize: number | null;
  readonly output: string;
}

export function readUnetIo(session: InferenceSession, file: string): UnetIo {
  requireExactInputs(session, file, ["sample", "timestep", "encoder_hidden_states"]);
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
