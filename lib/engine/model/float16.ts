import { Tensor } from "onnxruntime-node";

/**
 * float32 → float16 tensor. Float16Array performs IEEE 754 round-to-nearest-even (ECMA-262 ToFloat16).
 *
 * onnxruntime-node 1.30 on Node ≥ 23 turns float16 data into a Float16Array, whose byte length its native binding
 * reads as 0 ("not enough space: expected N, got 0"; microsoft/onnxruntime#26791, fix pending in PR #32323). The
 * binding reads `tensor.data`, so that property is pinned to a Uint16Array view of the same bits, which it accepts.
 */
export function float16Tensor(values: Float32Array, dims: readonly number[]): Tensor {
  const bits = new Uint16Array(new Float16Array(values).buffer);
  const tensor = new Tensor("float16", bits, dims);
  Object.defineProperty(tensor, "data", { value: bits });
  return tensor;
}

/** float16 tensor data (a Float16Array on Node ≥ 24, raw bits in a Uint16Array elsewhere) → float32 values. */
export function float16ToFloat32(data: Float16Array | Uint16Array): Float32Array {
  const half = data instanceof Float16Array ? data : new Float16Array(data.buffer, data.byteOffset, data.length);
  return new Float32Array(half);
}
