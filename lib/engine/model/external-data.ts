import { open, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { decodeVarint, FileWindow, subMessages, WIRE_LENGTH_DELIMITED, type Field } from "./graph/protobuf-file.ts";
import { ModelLoadError } from "./model-load-error.ts";

/** An external data file named by a model, and how many of its bytes the model's tensors reach into. */
export interface ExternalDataReference {
  readonly location: string;
  readonly requiredBytes: number;
}

// Field numbers from onnx/onnx.proto: ModelProto.graph, GraphProto.initializer, TensorProto.external_data,
// StringStringEntryProto.key/value.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

function decodeEntry(bytes: Buffer): { key: string; value: string } {
  const entry = { key: "", value: "" };
  let at = 0;
  while (at < bytes.length) {
    const tag = decodeVarint(bytes, at, bytes.length);
    if (tag.value % 8 !== WIRE_LENGTH_DELIMITED) throw new Error("malformed external_data entry");
    const length = decodeVarint(bytes, tag.next, bytes.length);
    const text = bytes.toString("utf8", length.next, length.next + length.value);
    if (Math.floor(tag.value / 8) === ENTRY_KEY) entry.key = text;
    else if (Math.floor(tag.value / 8) === ENTRY_VALUE) entry.value = text;
    at = length.next + length.value;
  }
  return entry;
}

/**
 * The external data files an ONNX model's initializers point to (TensorProto.external_data `location`, `offset`,
 * `length`), found by walking the protobuf wire format. Tensor payloads are skipped, not read, so this costs a few
 * hundred small reads even for a 1.7 GB single-file fp16 UNet.
 */
export async function listExternalData(modelPath: string): Promise<ExternalDataReference[]> {
  const handle = await open(modelPath, "r");
  try {
    const window = new FileWindow(handle);
    const required = new Map<string, number>();
    const model: Field = { number: 0, wireType: WIRE_LENGTH_DELIMITED, tagStart: 0, start: 0, end: (await handle.stat()).size };
    for await (const graph of subMessages(window, model, MODEL_GRAPH)) {
      for await (const tensor of subMessages(window, graph, GRAPH_INITIALIZER)) {
        const entries = new Map<string, string>();
        for await (const field of subMessages(window, tensor, TENSOR_EXTERNAL_DATA)) {
          const { key, value } = decodeEntry(await window.read(field.start, field.end - field.start));
          entries.set(key, value);
        }
        const location = entries.get("location");
        if (location === undefined) continue;
        const reach = Number(entries.get("offset") ?? 0) + Number(entries.get("length") ?? 0);
        required.set(location, Math.max(required.get(location) ?? 0, reach));
      }
    }
    return [...required].map(([location, requiredBytes]) => ({ location, requiredBytes }));
  } finally {
    await handle.close();
  }
}

const GIT_LFS_POINTER = "version https://git-lfs";

async function startsWithLfsPointer(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(GIT_LFS_POINTER.length);
    await handle.read(head, 0, head.length, 0);
    return head.toString("latin1") === GIT_LFS_POINTER;
  } finally {
    await handle.close();
  }
}

/**
 * Checks that `modelPath` is an ONNX protobuf and that every external data file it names exists beside it and is
 * long enough. A Git LFS pointer left in place of a model or weights file (a common half-download) is named as such.
 */
export async function checkExternalData(modelPath: string): Promise<void> {
  if (await startsWithLfsPointer(modelPath)) {
    throw new ModelLoadError(modelPath, "is a Git LFS pointer, not the model (fetch the real file with git lfs pull)");
  }
  let references: ExternalDataReference[];
  try {
    references = await listExternalData(modelPath);
  } catch (error) {
    throw new ModelLoadError(modelPath, `is not a readable ONNX model (${(error as Error).message})`, { cause: error });
  }
  for (const { location, requiredBytes } of references) {
    const path = join(dirname(modelPath), location);
    const size = await stat(path).then(
      (info) => info.size,
      () => null,
    );
    if (size === null) {
      throw new ModelLoadError(path, `missing: ${modelPath} keeps its weights in this external data file`);
    }
    if (size < requiredBytes) {
      const lfs = await startsWithLfsPointer(path);
      throw new ModelLoadError(
        path,
        lfs
          ? "is a Git LFS pointer, not the weights (fetch the real file with git lfs pull)"
          : `is ${size} bytes but ${modelPath} reads ${requiredBytes} bytes from it (truncated?)`,
      );
    }
  }
}
