import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import { attributeProto, DATA_TYPE, IR_VERSION, OPSET, valueInfo } from "../tiny-model/onnx-graph-builder.ts";
import type { AttributeValue, Dim, TensorElementType } from "../tiny-model/onnx-graph-builder.ts";

const { onnx } = onnxProto;

export type FloatType = "float32" | "float16";

/**
 * How Linear weights appear in the graph. torch.onnx exports `nn.Linear` on a 3-D input as `MatMul(x, Transpose(W))`
 * then `Add(bias, ·)`:
 * - "named": without constant folding, W keeps its parameter name and shape [out, in], with a Transpose node before
 *   the MatMul (`…/to_q/Transpose` → `…/to_q/MatMul`);
 * - "folded": with constant folding (torch.onnx.export's default, and optimum's), the transpose is computed at export
 *   time and stored as a new initializer [in, out] with a generated name (`onnx::MatMul_1234`); only the MatMul
 *   node's name still tells which module it belongs to.
 * The same folding turns GroupNorm's per-channel scale and shift ([C], unsqueezed to [C,1,1]) into generated
 * `onnx::Mul_…`/`onnx::Add_…` initializers. Conv and LayerNorm parameters are used as they are and keep their names
 * in both layouts.
 */
export type LinearWeightLayout = "named" | "folded";

/** How a parameter's values are drawn (see weights.ts). */
export type WeightInit =
  | { readonly kind: "uniform"; readonly bound: number }
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "constant"; readonly value: number };

/** A learned parameter, under its torch name and shape, and how the graph stores it. */
export interface GraphParameter {
  /** The module path and parameter name, as in the model's state_dict: `down_blocks.0.resnets.0.conv1.weight`. */
  readonly name: string;
  /** torch's shape ([out, in] for Linear, [out, in, kh, kw] for Conv2d). */
  readonly dims: readonly number[];
  readonly init: WeightInit;
  /** The ONNX initializer holding it: `name`, or a generated `onnx::MatMul_N` in the folded layout. */
  readonly initializer: string;
  /** The initializer's shape. */
  readonly storedDims: readonly number[];
  /** True when the initializer holds the 2-D transpose of the parameter (folded Linear weights). */
  readonly transposed: boolean;
}

export interface GraphOptions {
  readonly floatType: FloatType;
  readonly linearWeights: LinearWeightLayout;
}

type ExtendedAttribute = AttributeValue | { readonly floats: readonly number[] } | { readonly tensor: OnnxTypes.ITensorProto };

function toAttribute(name: string, value: ExtendedAttribute): OnnxTypes.IAttributeProto {
  const kind = onnx.AttributeProto.AttributeType;
  if ("floats" in value) return { name, type: kind.FLOATS, floats: [...value.floats] };
  if ("tensor" in value) return { name, type: kind.TENSOR, t: value.tensor };
  return attributeProto(name, value);
}

export function elementBytes(type: FloatType): number {
  return type === "float32" ? 4 : 2;
}

export function product(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

function constantTensor(type: TensorElementType, dims: readonly number[], values: readonly number[]): OnnxTypes.ITensorProto {
  let bytes: Uint8Array;
  if (type === "int64") bytes = new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer);
  else if (type === "int32") bytes = new Uint8Array(Int32Array.from(values).buffer);
  else if (type === "float16") bytes = new Uint8Array(Float16Array.from(values).buffer);
  else bytes = new Uint8Array(Float32Array.from(values).buffer);
  return { dims: [...dims], dataType: DATA_TYPE[type], rawData: bytes };
}

/** Where each parameter's bytes lie in the external data file. */
export interface ExternalDataEntry {
  readonly parameter: GraphParameter;
  readonly offset: number;
  readonly length: number;
}

export interface EncodedGraph {
  /** model.onnx: the graph, with every parameter pointing into the external data file. */
  readonly model: Uint8Array;
  /** The external data file's contents, in order; the bytes themselves are generated and written by write-onnx.ts. */
  readonly externalData: readonly ExternalDataEntry[];
  readonly externalDataBytes: number;
}

/**
 * An ONNX graph laid out the way torch.onnx names things: every node is named by the module scope it was traced in
 * (`/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul`, a `_1`, `_2`… suffix for further nodes of the
 * same type in one scope), every node output `<node name>_output_<i>`, every parameter by its state_dict path.
 *
 * Parameters are declared with their shape and initialisation only: no weight is held, so a graph for the full SD 1.5
 * UNet costs a few megabytes, its parameters can be counted without generating them, and write-onnx.ts streams the
 * values to the external data file one tensor at a time.
 */
export class ExportGraph {
  readonly name: string;
  readonly options: GraphOptions;
  readonly parameters: GraphParameter[] = [];
  readonly #nodes: OnnxTypes.INodeProto[] = [];
  readonly #inputs: OnnxTypes.IValueInfoProto[] = [];
  readonly #outputs: OnnxTypes.IValueInfoProto[] = [];
  readonly #nodeCounts = new Map<string, number>();
  readonly #parameterNames = new Set<string>();
  /** torch numbers generated names by value id; any increasing counter gives names of the same form. */
  #nextGeneratedId = 1000;

  constructor(name: string, options: GraphOptions) {
    this.name = name;
    this.options = options;
  }

  get floatType(): FloatType {
    return this.options.floatType;
  }

  get nodes(): readonly OnnxTypes.INodeProto[] {
    return this.#nodes;
  }

  root(): Scope {
    return new Scope(this, []);
  }

  input(name: string, type: TensorElementType, dims: readonly Dim[]): string {
    this.#inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares `value` as the graph output `name`: like torch, the producing node's output is renamed, not copied. */
  output(value: string, name: string, type: TensorElementType, dims: readonly Dim[]): void {
    for (const node of this.#nodes) {
      node.input = node.input?.map((input) => (input === value ? name : input));
      node.output = node.output?.map((output) => (output === value ? name : output));
    }
    this.#outputs.push(valueInfo(name, type, dims));
  }

  /** Adds a node in scope `prefix` ("" or "/a/b"); returns its output names. */
  node(prefix: string, opType: string, inputs: readonly string[], attributes: Record<string, ExtendedAttribute>, outputs: number): string[] {
    const key = `${prefix}/${opType}`;
    const count = this.#nodeCounts.get(key) ?? 0;
    this.#nodeCounts.set(key, count + 1);
    const name = count === 0 ? key : `${key}_${count}`;
    const outputNames = Array.from({ length: outputs }, (_, i) => `${name}_output_${i}`);
    this.#nodes.push({
      name,
      opType,
      input: [...inputs],
      output: outputNames,
      attribute: Object.entries(attributes).map(([key, value]) => toAttribute(key, value)),
    });
    return outputNames;
  }

  generatedName(consumerOpType: string): string {
    return `onnx::${consumerOpType}_${this.#nextGeneratedId++}`;
  }

  addParameter(parameter: GraphParameter): string {
    if (this.#parameterNames.has(parameter.name)) throw new Error(`parameter ${parameter.name} declared twice`);
    this.#parameterNames.add(parameter.name);
    this.parameters.push(parameter);
    return parameter.initializer;
  }

  /** Total learned values (torch's `sum(p.numel() for p in model.parameters())`). */
  parameterCount(): number {
    return this.parameters.reduce((total, parameter) => total + product(parameter.dims), 0);
  }

  /** Serialises the graph; every parameter is stored in `externalDataFile`, in declaration order. */
  encode(externalDataFile: string, producer: string): EncodedGraph {
    const bytesPer = elementBytes(this.floatType);
    const entries: ExternalDataEntry[] = [];
    let offset = 0;
    const initializer = this.parameters.map((parameter): OnnxTypes.ITensorProto => {
      const length = product(parameter.storedDims) * bytesPer;
      entries.push({ parameter, offset, length });
      const tensor: OnnxTypes.ITensorProto = {
        name: parameter.initializer,
        dims: [...parameter.storedDims],
        dataType: DATA_TYPE[this.floatType],
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: "location", value: externalDataFile },
          { key: "offset", value: String(offset) },
          { key: "length", value: String(length) },
        ],
      };
      offset += length;
      return tensor;
    });
    const model = onnx.ModelProto.encode({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: OPSET }],
      producerName: producer,
      graph: { name: this.name, node: this.#nodes, initializer, input: this.#inputs, output: this.#outputs },
    }).finish();
    return { model, externalData: entries, externalDataBytes: offset };
  }
}

/** How a parameter is laid out in the graph (see LinearWeightLayout). */
export type ParameterUse = "plain" | "linear" | "channel";

/** A module scope: the `self` of a torch module while it is traced. */
export class Scope {
  readonly graph: ExportGraph;
  readonly path: readonly string[];

  constructor(graph: ExportGraph, path: readonly string[]) {
    this.graph = graph;
    this.path = path;
  }

  /** The submodule `name` (`"down_blocks.0"`, `"to_out.0"`, `"attn1"`). */
  child(name: string): Scope {
    return new Scope(this.graph, [...this.path, name]);
  }

  get nodePrefix(): string {
    return this.path.map((part) => `/${part}`).join("");
  }

  /** The state_dict path of this module's parameter `name`. */
  parameterPath(name: string): string {
    return [...this.path, name].join(".");
  }

  op(opType: string, inputs: readonly string[], attributes: Record<string, ExtendedAttribute> = {}): string {
    return this.graph.node(this.nodePrefix, opType, inputs, attributes, 1)[0];
  }

  /**
   * Declares this module's parameter `name` and returns the value to compute with:
   * - "plain": the initializer itself, named by its path;
   * - "linear" (dims [out, in]): a [in, out] value for `MatMul(x, ·)`;
   * - "channel" (dims [C]): a [C, 1, 1] value that broadcasts over NCHW.
   */
  parameter(name: string, dims: readonly number[], init: WeightInit, use: ParameterUse = "plain", consumer = "MatMul"): string {
    const path = this.parameterPath(name);
    const folded = this.graph.options.linearWeights === "folded";
    if (use === "linear") {
      if (dims.length !== 2) throw new RangeError(`Linear weight ${path} must be 2-D`);
      if (folded) {
        const initializer = this.graph.generatedName(consumer);
        return this.graph.addParameter({ name: path, dims, init, initializer, storedDims: [dims[1], dims[0]], transposed: true });
      }
      this.graph.addParameter({ name: path, dims, init, initializer: path, storedDims: dims, transposed: false });
      return this.op("Transpose", [path], { perm: { ints: [1, 0] } });
    }
    if (use === "channel") {
      if (folded) {
        const initializer = this.graph.generatedName(consumer);
        return this.graph.addParameter({ name: path, dims, init, initializer, storedDims: [...dims, 1, 1], transposed: false });
      }
      this.graph.addParameter({ name: path, dims, init, initializer: path, storedDims: dims, transposed: false });
      return this.op("Unsqueeze", [path, this.int64([1, 2])]);
    }
    return this.graph.addParameter({ name: path, dims, init, initializer: path, storedDims: dims, transposed: false });
  }

  /** A `Constant` node in this scope, as torch emits for literals. */
  constant(type: TensorElementType, dims: readonly number[], values: readonly number[]): string {
    return this.op("Constant", [], { value: { tensor: constantTensor(type, dims, values) } });
  }

  int64(values: readonly number[]): string {
    return this.constant("int64", [values.length], values);
  }

  /** A float scalar (rank 0) of the graph's float type. */
  scalar(value: number): string {
    return this.constant(this.graph.floatType, [], [value]);
  }

  cast(value: string, to: TensorElementType): string {
    return this.op("Cast", [value], { to: { int: DATA_TYPE[to] } });
  }
}
