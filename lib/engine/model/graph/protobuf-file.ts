/**
 * The protobuf wire format (protobuf.dev "Encoding") walked straight from a file through one buffered window, so that
 * a model.onnx of several gigabytes can be read field by field: headers and small messages are read, large payloads
 * (initializer raw_data) are skipped unread and known only by their byte range.
 */
import type { FileHandle } from "node:fs/promises";

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

const WINDOW_BYTES = 1 << 16;

/** Random access to a file through one buffered window: headers are read, large payloads are skipped unread. */
export class FileWindow {
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

  /** Exactly `count` bytes from `position`, in a buffer of their own. */
  async read(position: number, count: number): Promise<Buffer> {
    const out = Buffer.alloc(count);
    let done = 0;
    while (done < count) {
      const { bytesRead } = await this.#handle.read(out, done, count - done, position + done);
      if (bytesRead === 0) throw new Error(`file ends inside a field at byte ${position + done}`);
      done += bytesRead;
    }
    return out;
  }
}

/** One field of a message: its number, wire type, where its payload lies, and where the whole field (tag included) starts. */
export interface Field {
  readonly number: number;
  readonly wireType: number;
  /** Start of the tag. */
  readonly tagStart: number;
  /** Payload range; for varints the range of the encoded varint. */
  readonly start: number;
  readonly end: number;
}

export function decodeVarint(bytes: Uint8Array, at: number, limit: number): { value: number; next: number } {
  let value = 0;
  for (let shift = 0, i = at; i < limit && shift < 64; shift += 7, i++) {
    value += (bytes[i]! & 0x7f) * 2 ** shift;
    if (bytes[i]! < 0x80) return { value, next: i + 1 };
  }
  throw new Error(`truncated or overlong varint at byte ${at}`);
}

/** The fields of the message whose payload is [start, end) of the file. */
export async function* fieldsOf(window: FileWindow, start: number, end: number): AsyncGenerator<Field> {
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
    yield { number, wireType, tagStart: position, start: fieldStart, end: fieldEnd };
    position = fieldEnd;
  }
}

/** The length-delimited fields numbered `number` inside `parent`. */
export async function* subMessages(window: FileWindow, parent: Pick<Field, "start" | "end">, number: number): AsyncGenerator<Field> {
  for await (const field of fieldsOf(window, parent.start, parent.end)) {
    if (field.number === number && field.wireType === WIRE_LENGTH_DELIMITED) yield field;
  }
}
