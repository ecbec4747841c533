/**
 * ONNX tensor element types (onnx/onnx.proto TensorProto.DataType) and the conversions Serena needs between stored
 * bytes and float32 values. float16 rounds to nearest even (ECMA-262 ToFloat16, as torch's `.half()`).
 */
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

const { onnx } = onnxProto;
export const DataType = onnx.TensorProto.DataType;

const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT8]: 1,
  [DataType.UINT16]: 2,
  [DataType.INT16]: 2,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
  [DataType.BFLOAT16]: 2,
};

/** Bytes per element, or null for types without a fixed size (strings, complex). */
export function elementBytes(dataType: number): number | null {
  return Object.hasOwn(ELEMENT_BYTES, dataType) ? ELEMENT_BYTES[dataType]! : null;
}

export const isFloatType = (dataType: number): boolean =>
  dataType === DataType.FLOAT || dataType === DataType.FLOAT16 || dataType === DataType.DOUBLE || dataType === DataType.BFLOAT16;

/** protobufjs decodes int64 fields as Long objects when long.js is present, as numbers otherwise. */
export function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? value : value.toNumber();
}

export const dimsOf = (tensor: OnnxTypes.ITensorProto): number[] => (tensor.dims ?? []).map((d) => toNumber(d));

export const elementCount = (dims: readonly number[]): number => dims.reduce((n, d) => n * d, 1);

/** Little-endian stored bytes of a float tensor → float32 values. */
export function floatsFromBytes(dataType: number, bytes: Uint8Array, count: number): Float32Array {
  // Copy first: the bytes may sit at an offset that is not a multiple of the element size (and a Buffer's slice
  // would share memory rather than copy).
  const own = new Uint8Array(count * (elementBytes(dataType) ?? 0));
  own.set(bytes.subarray(0, own.length));
  switch (dataType) {
    case DataType.FLOAT:
      return new Float32Array(own.buffer, 0, count);
    case DataType.FLOAT16:
      return new Float32Array(new Float16Array(own.buffer, 0, count));
    case DataType.DOUBLE:
      return new Float32Array(new Float64Array(own.buffer, 0, count));
    case DataType.BFLOAT16: {
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      const half = new Uint16Array(own.buffer, 0, count);
      for (let i = 0; i < count; i++) bits[i] = half[i]! << 16;
      return out;
    }
    default:
      throw new TypeError(`tensor data type ${dataType} is not a float type`);
  }
}

/** float32 values → little-endian bytes of `dataType` (float16 and bfloat16 round to nearest even). */
export function bytesFromFloats(dataType: number, values: Float32Array): Uint8Array {
  switch (dataType) {
    case DataType.FLOAT:
      return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    case DataType.FLOAT16:
      return new Uint8Array(new Float16Array(values).buffer);
    case DataType.DOUBLE:
      return new Uint8Array(new Float64Array(values).buffer);
    case DataType.BFLOAT16: {
      const bits = new Uint32Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
      const out = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const b = bits[i]!;
        // NaN stays NaN; otherwise round to nearest even on the dropped 16 bits.
        out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
      }
      return new Uint8Array(out.buffer);
    }
    default:
      throw new TypeError(`tensor data type ${dataType} is not a float type`);
  }
}

/** Values held in the typed fields of a TensorProto (float_data, double_data), when the tensor has no raw bytes. */
export function floatsFromFields(tensor: OnnxTypes.ITensorProto, count: number): Float32Array | null {
  if (tensor.dataType === DataType.FLOAT && (tensor.floatData?.length ?? 0) === count) return Float32Array.from(tensor.floatData!);
  if (tensor.dataType === DataType.DOUBLE && (tensor.doubleData?.length ?? 0) === count) return Float32Array.from(tensor.doubleData!);
  // float16 and bfloat16 values sit in int32_data as their bit patterns (onnx.proto).
  if ((tensor.dataType === DataType.FLOAT16 || tensor.dataType === DataType.BFLOAT16) && (tensor.int32Data?.length ?? 0) === count) {
    const bits = Uint16Array.from(tensor.int32Data!);
    return floatsFromBytes(tensor.dataType, new Uint8Array(bits.buffer), count);
  }
  return null;
}
