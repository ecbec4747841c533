import { open, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
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

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const WINDOW_BYTES = 1 << 16;

/** Random access to a file through one buffered window: headers are read, large payloads are skipped unread. */
class FileWindow {
  readonly #handle: FileHandle;
  readonly #buffer = Buffer.alloc(WINDOW_BYTES);
  #start = 0;
  #end = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /** The buffer holding [position, position + count) (count ≤ window size), and where that range starts in it. */
  async view(position: number, count: number): Promise<{ bytes: Buffer; at: number }> {
    if (position < this.#start || position + count > this.#end) {
      const { bytesRead } = await this.#handle.read(this.#buffer, 0, WINDOW_BYTES, position);
      this.#start = position;
      this.#end = position + bytesRead;
    }
    return { bytes: this.#buffer.subarray(0, this.#end - this.#start), at: position - this.#start };
  }

  async read(position: number, count: number): Promise<Buffer> {
    const out = Buffer.alloc(count);
    const { bytesRead } = await this.#handle.read(out, 0, count, position);
    if (bytesRead < count) throw new Error(`file ends inside a field at byte ${position}`);
    return out;
  }
}

interface Field {
  readonly number: number;
  readonly wireType: number;
  /** Payload range; for varints the range of the encoded varint. */
  readonly start: number;
  readonly end: number;
}

function decodeVarint(bytes: Uint8Array, at: number, limit: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0, i = at; i < limit && shift < 64; shift += 7, i++) {
    value += (bytes[i] & 0x7f) * 2 ** shift;
    if (bytes[i] < 0x80) return { value, next: i + 1 };
  }
  throw new Error(`truncated or overlong varint at byte ${at}`);
}

async function* fieldsOf(window: FileWindow, start: number, end: number): AsyncGenerator<Field> {
  let position = start;
  while (position < end) {
    const { bytes, at } = await window.view(position, Math.min(20, end - position));
    const limit = Math.min(bytes.length, at + (end - position));
    const tag = decodeVarint(bytes, at, limit);
    const wireType = tag.value % 8;
    const number = Math.floor(tag.value / 8);
    const payload = position + (tag.next - at);
    let fieldEnd: number;
    let fieldStart = payload;
    if (wireType === WIRE_VARINT) fieldEnd = payload + (decodeVarint(bytes, tag.next, limit).next - tag.next);
    else if (wireType === WIRE_FIXED64) fieldEnd = payload + 8;
    else if (wireType === WIRE_FIXED32) fieldEnd = payload + 4;
    else if (wireType === WIRE_LENGTH_DELIMITED) {
      const length = decodeVarint(bytes, tag.next, limit);
      fieldStart = payload + (length.next - tag.next);
      fieldEnd = fieldStart + length.value;
    } else throw new Error(`unsupported protobuf wire type ${wireType} at byte ${position}`);
    if (fieldEnd > end) throw new Error(`field ${number} at byte ${position} runs past its message`);
    yield { number, wireType, start: fieldStart, end: fieldEnd };
    position = fieldEnd;
  }
}

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

async function* subMessages(window: FileWindow, parent: Field, number: number): AsyncGenerator<Field> {
  for await (const field of fieldsOf(window, parent.start, parent.end)) {
    if (field.number === number && field.wireType === WIRE_LENGTH_DELIMITED) yield field;
  }
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
    const model: Field = { number: 0, wireType: WIRE_LENGTH_DELIMITED, start: 0, end: (await handle.stat()).size };
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
