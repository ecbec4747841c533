/**
 * A model read without its weights (read-model.ts), open for changes: nodes and outputs added, initializers read as
 * float32 and replaced or added. Replaced and added tensors are appended to the derived model's own data file as
 * they are set, one at a time, so patching a multi-gigabyte UNet holds one tensor in memory, not the model.
 */
import { open, type FileHandle } from "node:fs/promises";
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import type { ModelSkeleton, StoredBytes } from "./read-model.ts";
import { bytesFromFloats, dimsOf, elementBytes, elementCount, floatsFromBytes, floatsFromFields } from "./tensor-data.ts";

const { onnx } = onnxProto;

/** Offsets in the derived data file are kept to multiples of this (onnxruntime maps external data by page). */
const DATA_ALIGNMENT = 64;

export interface NewTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
}

export class ModelEditor {
  readonly skeleton: ModelSkeleton;
  readonly graph: OnnxTypes.GraphProto;
  /** Tensors written by this editor: where their bytes lie in the derived data file. */
  readonly written = new Map<string, { offset: number; length: number }>();
  readonly #data: FileHandle;
  #dataBytes = 0;
  readonly #initializers = new Map<string, OnnxTypes.ITensorProto>();
  readonly #producers = new Map<string, OnnxTypes.INodeProto>();
  readonly #consumers = new Map<string, OnnxTypes.INodeProto[]>();
  #counter = 0;

  constructor(skeleton: ModelSkeleton, data: FileHandle) {
    this.skeleton = skeleton;
    this.graph = skeleton.model.graph as OnnxTypes.GraphProto;
    this.#data = data;
    for (const tensor of this.graph.initializer) this.#initializers.set(tensor.name ?? "", tensor);
    for (const node of this.graph.node) this.#index(node);
  }

  #index(node: OnnxTypes.INodeProto): void {
    for (const output of node.output ?? []) if (output) this.#producers.set(output, node);
    for (const input of node.input ?? []) {
      if (!input) continue;
      const list = this.#consumers.get(input);
      if (list === undefined) this.#consumers.set(input, [node]);
      else list.push(node);
    }
  }

  /** The node whose output `tensor` is, or undefined for graph inputs, initializers and unknown names. */
  producer(tensor: string): OnnxTypes.INodeProto | undefined {
    return this.#producers.get(tensor);
  }

  consumers(tensor: string): readonly OnnxTypes.INodeProto[] {
    return this.#consumers.get(tensor) ?? [];
  }

  initializer(name: string): OnnxTypes.ITensorProto | undefined {
    return this.#initializers.get(name);
  }

  get nodes(): readonly OnnxTypes.INodeProto[] {
    return this.graph.node;
  }

  /** A tensor or node name not used in the graph yet, under Serena's prefix. */
  freshName(base: string): string {
    return `serena/${base}/${this.#counter++}`;
  }

  /** Appends `node` (after every node, so its inputs are computed before it). */
  addNode(node: OnnxTypes.INodeProto): void {
    this.graph.node.push(onnx.NodeProto.create(node));
    this.#index(this.graph.node[this.graph.node.length - 1]!);
  }

  addOutput(output: OnnxTypes.IValueInfoProto): void {
    this.graph.output.push(onnx.ValueInfoProto.create(output));
  }

  /** Where an initializer's bytes lie, when they were left on disk. */
  storedBytes(name: string): StoredBytes | undefined {
    return this.skeleton.stored.get(name);
  }

  /** An initializer's values as float32 (float, float16, bfloat16 and double tensors). */
  async readFloats(name: string): Promise<Float32Array> {
    const tensor = this.initializer(name);
    if (tensor === undefined) throw new RangeError(`no initializer named ${name}`);
    const count = elementCount(dimsOf(tensor));
    const stored = this.written.has(name) ? null : this.skeleton.stored.get(name);
    if (stored !== undefined && stored !== null) {
      const bytes = await readRange(stored);
      return floatsFromBytes(tensor.dataType ?? 0, bytes, count);
    }
    if (this.written.has(name)) {
      const { offset, length } = this.written.get(name)!;
      const bytes = new Uint8Array(length);
      await this.#data.read(bytes, 0, length, offset);
      return floatsFromBytes(tensor.dataType ?? 0, bytes, count);
    }
    if (tensor.rawData && tensor.rawData.byteLength > 0) return floatsFromBytes(tensor.dataType ?? 0, tensor.rawData, count);
    const fields = floatsFromFields(tensor, count);
    if (fields === null) throw new Error(`initializer ${name} holds no float data Serena can read`);
    return fields;
  }

  /**
   * Sets an initializer's values (converted to its data type), adding it when `tensor.name` is new. The bytes go to
   * the derived data file at once.
   */
  async setInitializer(tensor: NewTensor, values: Float32Array): Promise<void> {
    const count = elementCount(tensor.dims);
    if (values.length !== count) throw new RangeError(`${tensor.name}: ${values.length} values for dims [${tensor.dims.join(", ")}]`);
    if (elementBytes(tensor.dataType) === null) throw new TypeError(`${tensor.name}: data type ${tensor.dataType} has no fixed size`);
    const bytes = bytesFromFloats(tensor.dataType, values);
    const offset = Math.ceil(this.#dataBytes / DATA_ALIGNMENT) * DATA_ALIGNMENT;
    let done = 0;
    while (done < bytes.byteLength) done += (await this.#data.write(bytes, done, bytes.byteLength - done, offset + done)).bytesWritten;
    this.#dataBytes = offset + bytes.byteLength;
    this.written.set(tensor.name, { offset, length: bytes.byteLength });
    let proto = this.#initializers.get(tensor.name);
    if (proto === undefined) {
      proto = onnx.TensorProto.create({ name: tensor.name });
      this.graph.initializer.push(proto as OnnxTypes.TensorProto);
      this.#initializers.set(tensor.name, proto);
    }
    proto.dims = [...tensor.dims];
    proto.dataType = tensor.dataType;
    proto.rawData = new Uint8Array(0);
    proto.floatData = [];
    proto.int32Data = [];
    proto.doubleData = [];
  }
}

/** Reads a stored byte range. */
export async function readRange(stored: StoredBytes): Promise<Uint8Array> {
  const handle = await open(stored.file, "r");
  try {
    const bytes = new Uint8Array(stored.length);
    let done = 0;
    while (done < stored.length) {
      const { bytesRead } = await handle.read(bytes, done, stored.length - done, stored.offset + done);
      if (bytesRead === 0) throw new Error(`${stored.file} ends before byte ${stored.offset + stored.length}`);
      done += bytesRead;
    }
    return bytes;
  } finally {
    await handle.close();
  }
}
