import { Tensor } from "onnxruntime-node";
import type { InferenceSession } from "onnxruntime-node";
import { float16Tensor, float16ToFloat32 } from "./float16.ts";
import { ModelLoadError } from "./model-load-error.ts";

export type FloatType = "float32" | "float16";

/** One model input or output as onnxruntime reports it: a number per fixed axis, a string per dynamic one. */
export interface TensorIo {
  readonly name: string;
  readonly type: Tensor.Type;
  readonly shape: readonly (number | string)[];
}

/** The input or output called `name`, from the session's metadata; a ModelLoadError naming `file` if absent. */
export function findTensorIo(session: InferenceSession, file: string, side: "input" | "output", name: string): TensorIo {
  const all = side === "input" ? session.inputMetadata : session.outputMetadata;
  const found = all.find((value) => value.name === name);
  if (found === undefined) {
    const present = all.map((value) => value.name).join(", ");
    throw new ModelLoadError(file, `has no ${side} "${name}" (its ${side}s: ${present})`);
  }
  if (!found.isTensor) throw new ModelLoadError(file, `${side} "${name}" is not a tensor`);
  return { name: found.name, type: found.type, shape: found.shape };
}

export function requireFloat(io: TensorIo, file: string): FloatType {
  if (io.type === "float32" || io.type === "float16") return io.type;
  throw new ModelLoadError(file, `"${io.name}" is ${io.type}; expected float32 or float16`);
}

export function requireRank(io: TensorIo, file: string, rank: number): void {
  if (io.shape.length !== rank) {
    throw new ModelLoadError(file, `"${io.name}" has rank ${io.shape.length} ([${io.shape.join(", ")}]); expected ${rank}`);
  }
}

/** A fixed axis length, or null where the axis is dynamic. */
export function fixedDim(io: TensorIo, axis: number): number | null {
  const dim = io.shape[axis];
  return typeof dim === "number" && dim > 0 ? dim : null;
}

/** float32 values as a tensor of the model's float type (no copy for float32). */
export function floatTensor(type: FloatType, values: Float32Array, dims: readonly number[]): Tensor {
  return type === "float32" ? new Tensor("float32", values, dims) : float16Tensor(values, dims);
}

/** A float output as float32 values (the tensor's own buffer for float32 outputs). */
export function floatValues(tensor: Tensor): Float32Array {
  if (tensor.type === "float32") return tensor.data as Float32Array;
  if (tensor.type === "float16") return float16ToFloat32(tensor.data as Float16Array | Uint16Array);
  throw new TypeError(`expected a float tensor, got ${tensor.type}`);
}

export function product(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}
