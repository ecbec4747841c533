import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

const { onnx } = onnxProto;

export type TensorElementType = "float32" | "float16" | "int32" | "int64";

/** A dimension: a number where fixed, a symbolic name where the exporter marks the axis dynamic. */
export type Dim = number | string;

export type AttributeValue =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly string: string };

export interface EncodedModel {
  readonly model: Uint8Array;
  /** Bytes of the external data file, null when every tensor is stored inside the model. */
  readonly externalData: Uint8Array | null;
}

export const DATA_TYPE: Record<TensorElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** Opset 17 is the first with LayerNormalization; ORT 1.30 runs it on the CPU EP. */
export const OPSET = 17;
/** IR version 8 is what onnx-proto 8 (ONNX 1.10) describes and what opset 17 requires. */
export const IR_VERSION = 8;
interface Initializer {
  readonly name: string;
  readonly type: TensorElementType;
  readonly dims: readonly number[];
  readonly bytes: Uint8Array;
  /** Learned weights go to the external data file; small constants (shapes, axes) stay inline. */
  readonly learned: boolean;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

export function valueInfo(name: string, type: TensorElementType, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export function attributeProto(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  const kind = onnx.AttributeProto.AttributeType;
  if ("int" in value) return { name, type: kind.INT, i: value.int };
  if ("ints" in value) return { name, type: kind.INTS, ints: [...value.ints] };
  if ("float" in value) return { name, type: kind.FLOAT, f: value.float };
  return { name, type: kind.STRING, s: new TextEncoder().encode(value.string) };
}

/** Builds one ONNX graph with onnx-proto, the way the exporters lay it out (named IO, initializers, opset 17). */
export class OnnxGraphBuilder {
  readonly #name: string;
  readonly #inputs: OnnxTypes.IValueInfoProto[] = [];
  readonly #outputs: OnnxTypes.IValueInfoProto[] = [];
  readonly #nodes: OnnxTypes.INodeProto[] = [];
  readonly #initializers: Initializer[] = [];
  #counter = 0;

  constructor(name: string) {
    this.#name = name;
  }

  input(name: string, type: TensorElementType, dims: readonly Dim[]): string {
    this.#inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: TensorElementType, dims: readonly Dim[]): void {
    this.#outputs.push(valueInfo(name, type, dims));
  }

  /** A float input declared as `type`; returns the name of its float32 value (computation stays float32). */
  floatInput(name: string, type: "float32" | "float16", dims: readonly Dim[]): string {
    this.input(name, type, dims);
    return type === "float32" ? name : this.cast(name, "float32");
  }

  /** Declares the float32 `value` as the graph output `name`, converted to `type`. */
  floatOutput(value: string, name: string, type: "float32" | "float16", dims: readonly Dim[]): void {
    if (type === "float32") this.op("Identity", [value], {}, name);
    else this.cast(value, "float16", name);
    this.output(name, type, dims);
  }

  /**
   * A learned float tensor stored as `storage`; returns the name of its float32 value. float16 storage gets a Cast
   * to float32 because the CPU execution provider has no float16 kernels for most of the ops used here.
   */
  weight(name: string, dims: readonly number[], values: Float32Array, storage: "float32" | "float16"): string {
    if (storage === "float32") {
      this.#initializers.push({ name, type: "float32", dims, bytes: bytesOf(values), learned: true });
      return name;
    }
    this.#initializers.push({ name, type: "float16", dims, bytes: bytesOf(new Float16Array(values)), learned: true });
    return this.cast(name, "float32");
  }

  constantFloat(name: string, dims: readonly number[], values: readonly number[]): string {
    this.#initializers.push({ name, type: "float32", dims, bytes: bytesOf(new Float32Array(values)), learned: false });
    return name;
  }

  constantInt64(name: string, dims: readonly number[], values: readonly number[]): string {
    this.#initializers.push({ name, type: "int64", dims, bytes: bytesOf(BigInt64Array.from(values, BigInt)), learned: false });
    return name;
  }

  /** Adds a node with one output and returns that output's name (`output`, or a fresh one). */
  op(opType: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    const result = output ?? `${opType.toLowerCase()}_${this.#counter}`;
    this.#nodes.push({
      name: `${opType}_${this.#counter++}`,
      opType,
      input: [...inputs],
      output: [result],
      attribute: Object.entries(attributes).map(([key, value]) => attributeProto(key, value)),
    });
    return result;
  }

  cast(value: string, to: TensorElementType, output?: string): string {
    return this.op("Cast", [value], { to: { int: DATA_TYPE[to] } }, output);
  }

  /**
   * Serialises the model. With `externalDataFile`, the learned weights go to that one file (offset/length entries,
   * `data_location: EXTERNAL`), as onnx.save_model(save_as_external_data=True, all_tensors_to_one_file=True) does.
   * onnx keeps tensors under 1 KiB inline; every weight of a real UNet is larger, the tiny ones are not, hence the
   * learned/constant split instead of a size threshold.
   */
  encode(externalDataFile?: string): EncodedModel {
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const initializer = this.#initializers.map((tensor): OnnxTypes.ITensorProto => {
      const base = { name: tensor.name, dims: [...tensor.dims], dataType: DATA_TYPE[tensor.type] };
      if (externalDataFile === undefined || !tensor.learned) {
        return { ...base, rawData: tensor.bytes };
      }
      const entry = {
        ...base,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: "location", value: externalDataFile },
          { key: "offset", value: String(offset) },
          { key: "length", value: String(tensor.bytes.byteLength) },
        ],
      };
      chunks.push(tensor.bytes);
      offset += tensor.bytes.byteLength;
      return entry;
    });
    const model = onnx.ModelProto.encode({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: OPSET }],
      producerName: "serena-tiny-model",
      graph: { name: this.#name, node: this.#nodes, initializer, input: this.#inputs, output: this.#outputs },
    }).finish();
    return { model, externalData: externalDataFile === undefined ? null : concatBytes(chunks, offset) };
  }
}

function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
