/**
 * A model.onnx read without its weights: every field of the ModelProto is decoded with onnx-proto except the raw
 * bytes of large initializers, which stay on disk and are known by file and byte range — in the model file itself
 * (tensors stored inline, as the diffusers script leaves text encoders) or in the external data files its
 * initializers name (`weights.pb`, `model.onnx_data`; docs/engine-reference.md §1.4). Reading a 1.7 GB single-file
 * fp16 UNet this way costs its graph, a few megabytes, not its weights.
 *
 * Field numbers are onnx/onnx.proto's: ModelProto.graph 7, GraphProto.initializer 5, TensorProto.raw_data 9.
 */
import { open } from "node:fs/promises";
import { dirname, join } from "node:path";
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import { fieldsOf, FileWindow, WIRE_LENGTH_DELIMITED, type Field } from "./protobuf-file.ts";
import { dimsOf, elementBytes, elementCount, toNumber } from "./tensor-data.ts";

const { onnx } = onnxProto;

const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;

/**
 * Inline raw data at least this long stays on disk. Smaller tensors are read: onnxruntime's shape inference needs
 * shape and axes constants in memory ("Cannot parse data from external tensors"), and onnx itself only moves tensors
 * of 1 KiB or more to external data (onnx.external_data_helper, size_threshold=1024).
 */
export const INLINE_LIMIT = 1024;

/** Where a tensor's bytes lie on disk. */
export interface StoredBytes {
  /** Absolute path of the file holding them. */
  readonly file: string;
  readonly offset: number;
  readonly length: number;
}

export interface ModelSkeleton {
  /** The model file, absolute. */
  readonly path: string;
  /** The decoded model; initializers listed in `stored` carry no data of their own. */
  readonly model: OnnxTypes.ModelProto;
  /** Initializers whose bytes were left on disk, by name. */
  readonly stored: ReadonlyMap<string, StoredBytes>;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** The bytes of a whole field, tag included. */
async function fieldBytes(window: FileWindow, field: Field): Promise<Uint8Array> {
  const count = field.end - field.tagStart;
  if (count <= 4096) {
    const { bytes, at } = await window.view(field.tagStart, count);
    // A copy: Buffer#slice would share the window's memory, which the next read overwrites.
    if (at + count <= bytes.length) return new Uint8Array(bytes.subarray(at, at + count));
  }
  return window.read(field.tagStart, count);
}

function externalEntry(tensor: OnnxTypes.ITensorProto, key: string): string | undefined {
  return tensor.externalData?.find((entry) => entry.key === key)?.value ?? undefined;
}

/** Reads `path` as a {@link ModelSkeleton}. */
export async function readModelSkeleton(path: string): Promise<ModelSkeleton> {
  const handle = await open(path, "r");
  try {
    const window = new FileWindow(handle);
    const size = (await handle.stat()).size;
    const top: Uint8Array[] = [];
    const graphChunks: Uint8Array[] = [];
    const tensors: { proto: OnnxTypes.TensorProto; raw: StoredBytes | null }[] = [];
    let graphFields = 0;
    for await (const field of fieldsOf(window, 0, size)) {
      if (field.number !== MODEL_GRAPH || field.wireType !== WIRE_LENGTH_DELIMITED) {
        top.push(await fieldBytes(window, field));
        continue;
      }
      graphFields++;
      for await (const graphField of fieldsOf(window, field.start, field.end)) {
        if (graphField.number !== GRAPH_INITIALIZER || graphField.wireType !== WIRE_LENGTH_DELIMITED) {
          graphChunks.push(await fieldBytes(window, graphField));
          continue;
        }
        const kept: Uint8Array[] = [];
        let raw: StoredBytes | null = null;
        for await (const tensorField of fieldsOf(window, graphField.start, graphField.end)) {
          const length = tensorField.end - tensorField.start;
          if (tensorField.number === TENSOR_RAW_DATA && tensorField.wireType === WIRE_LENGTH_DELIMITED && length >= INLINE_LIMIT) {
            raw = { file: path, offset: tensorField.start, length };
          } else {
            kept.push(await fieldBytes(window, tensorField));
          }
        }
        tensors.push({ proto: onnx.TensorProto.decode(concat(kept)), raw });
      }
    }
    if (graphFields !== 1) throw new Error(`${path} has ${graphFields} graphs; a model has one`);
    const model = onnx.ModelProto.decode(concat(top));
    const graph = onnx.GraphProto.decode(concat(graphChunks));
    const stored = new Map<string, StoredBytes>();
    for (const { proto, raw } of tensors) {
      if (raw !== null) {
        stored.set(proto.name, raw);
      } else if (proto.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
        const location = externalEntry(proto, "location");
        if (location === undefined) throw new Error(`${path}: initializer ${proto.name} is external but names no location`);
        const offset = Number(externalEntry(proto, "offset") ?? 0);
        const declared = externalEntry(proto, "length");
        const length = declared === undefined ? elementCount(dimsOf(proto)) * (elementBytes(proto.dataType) ?? 0) : Number(declared);
        stored.set(proto.name, { file: join(dirname(path), location), offset, length });
      }
      graph.initializer.push(proto);
    }
    model.graph = graph;
    // ir_version etc. decode as Long; keep the model encodable as it was read.
    model.irVersion = toNumber(model.irVersion);
    return { path, model, stored };
  } finally {
    await handle.close();
  }
}
