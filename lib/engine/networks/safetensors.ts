/**
 * A bounded, lazy safetensors reader (format: huggingface/safetensors README "Format"; checks as its Rust
 * `SafeTensors::read_metadata` and `Metadata::validate` in safetensors/src/tensor.rs do them):
 *
 *   [8 bytes: N, unsigned little-endian] [N bytes: UTF-8 JSON header, may be padded with spaces] [data area]
 *
 * The header maps tensor names to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data area)
 * plus an optional `__metadata__` object of string → string. Opening a file reads only its first 8 + N bytes; tensors
 * are read one at a time from the file handle, so listing a 2 GB file costs its header.
 *
 * Every header is checked before any tensor is read: N at most 100,000,000 (the library's MAX_HEADER_SIZE) and
 * inside the file; every dtype known; every shape made of non-negative safe integers whose byte size does not
 * overflow; `end - begin` equal to product(shape) × dtype size; and the tensors, ordered by offset, tile the data
 * area exactly from 0 to its last byte (no overlap, no hole, nothing after, as the library refuses with
 * InvalidOffset / MetadataIncompleteBuffer).
 *
 * Pickles are refused by content, whatever the file is called: `torch.save` writes a zip (`PK\x03\x04`) and older
 * checkpoints and `.bin` files are a bare pickle stream (`\x80` then the protocol number). Reading a pickle means
 * running it, so Serena never does.
 */
import { open, type FileHandle } from "node:fs/promises";
import { NetworkFileError } from "./network-file-error.ts";

/** safetensors' MAX_HEADER_SIZE (safetensors/src/tensor.rs). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Byte size of every dtype the safetensors format defines with whole bytes (safetensors/src/tensor.rs `Dtype`). */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

/** The dtypes decoded to float32 by {@link SafetensorsFile.readTensor}. */
export const FLOAT_DTYPES = ["F16", "BF16", "F32", "F64"] as const;
type FloatDtype = (typeof FLOAT_DTYPES)[number];

const isFloatDtype = (dtype: SafetensorsDtype): dtype is FloatDtype => (FLOAT_DTYPES as readonly string[]).includes(dtype);

export interface TensorInfo {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** product(shape); 1 for a scalar (shape []). */
  readonly elements: number;
  /** Byte range inside the data area (which starts at byte 8 + headerLength of the file). */
  readonly begin: number;
  readonly end: number;
}

/** A tensor decoded to float32, row-major in its shape. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface SafetensorsHeader {
  /** N, the JSON header's length in bytes. */
  readonly headerLength: number;
  /** `__metadata__`, empty when absent (a null-prototype object: no inherited keys). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in header order. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
}

const malformed = (file: string, problem: string) => new NetworkFileError(file, "malformed", problem);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function parseTensorInfo(file: string, name: string, value: unknown, dataBytes: number): TensorInfo {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!isPlainObject(value)) throw malformed(file, `${where} is not an object in the header`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string" || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    throw malformed(file, `${where} has an unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw malformed(file, `${where} has an invalid shape ${JSON.stringify(shape)} (want non-negative integers)`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw malformed(file, `${where} has invalid data_offsets ${JSON.stringify(offsets)} (want [begin, end], begin ≤ end)`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataBytes) {
    throw malformed(file, `${where} ends at byte ${end} of a ${dataBytes}-byte data area`);
  }
  // Checked multiplication, as the library's ValidationOverflow: a product beyond 2^53 is refused even when a later
  // dimension is 0.
  const dtypeBytes = DTYPE_BYTES[dtype as SafetensorsDtype];
  let elements = 1;
  for (const dim of shape as number[]) {
    elements *= dim;
    if (!Number.isSafeInteger(elements * dtypeBytes)) throw malformed(file, `${where} has a shape too large to address`);
  }
  if (end - begin !== elements * dtypeBytes) {
    throw malformed(
      file,
      `${where} spans ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${elements * dtypeBytes}`,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], elements, begin, end };
}

/** `__metadata__`: string → string (the library's `Option<HashMap<String, String>>`; null means none). */
function parseMetadata(file: string, value: unknown): Record<string, string> {
  const metadata = Object.create(null) as Record<string, string>;
  if (value === null) return metadata;
  if (!isPlainObject(value)) throw malformed(file, "__metadata__ is not an object");
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== "string") throw malformed(file, `__metadata__ ${JSON.stringify(key)} is not a string`);
    metadata[key] = entry;
  }
  return Object.freeze(metadata);
}

/** The tensors, ordered by offset, must tile [0, dataBytes) exactly. */
function checkTiling(file: string, tensors: Iterable<TensorInfo>, dataBytes: number): void {
  const ordered = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const tensor of ordered) {
    if (tensor.begin < covered) {
      throw malformed(file, `tensor ${JSON.stringify(tensor.name)} overlaps the tensor before it (starts at ${tensor.begin} < ${covered})`);
    }
    if (tensor.begin > covered) {
      throw malformed(file, `bytes ${covered}..${tensor.begin} of the data area belong to no tensor`);
    }
    covered = tensor.end;
  }
  if (covered !== dataBytes) {
    throw malformed(file, `the data area has ${dataBytes} bytes but its tensors cover ${covered}`);
  }
}

/**
 * Validates a header: `json` is the N header bytes, `fileSize` the whole file's size. Pure, so an in-memory buffer
 * can be checked the same way as a file.
 */
export function parseSafetensorsHeader(file: string, json: Uint8Array, fileSize: number): SafetensorsHeader {
  const headerLength = json.byteLength;
  const dataBytes = fileSize - 8 - headerLength;
  if (dataBytes < 0) throw malformed(file, `the file (${fileSize} bytes) is shorter than its ${headerLength}-byte header`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(json);
  } catch (cause) {
    throw new NetworkFileError(file, "malformed", "the header is not valid UTF-8", { cause });
  }
  // The format's README: "The header data MUST begin with a { character".
  if (!text.startsWith("{")) throw malformed(file, "the header does not start with '{'");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new NetworkFileError(file, "malformed", "the header is not valid JSON", { cause });
  }
  if (!isPlainObject(parsed)) throw malformed(file, "the header is not a JSON object");
  let metadata = parseMetadata(file, null);
  const tensors = new Map<string, TensorInfo>();
  for (const [name, value] of Object.entries(parsed)) {
    if (name === "__metadata__") metadata = parseMetadata(file, value);
    else tensors.set(name, parseTensorInfo(file, name, value, dataBytes));
  }
  checkTiling(file, tensors.values(), dataBytes);
  return { headerLength, metadata, tensors };
}

const startsWith = (bytes: Uint8Array, magic: readonly number[]) => magic.every((byte, i) => bytes[i] === byte);

/** `torch.save` since PyTorch 1.6 writes a zip archive; before, and `.bin`/`.pt` files of other tools, a pickle. */
function pickleKind(prefix: Uint8Array): string | null {
  if (startsWith(prefix, [0x50, 0x4b, 0x03, 0x04])) return "a zip archive (a PyTorch torch.save checkpoint)";
  // Pickle protocols 2 to 5 begin with the PROTO opcode 0x80 and the protocol number (Python's pickletools).
  if (prefix[0] === 0x80 && prefix[1] !== undefined && prefix[1] >= 2 && prefix[1] <= 5) return "a Python pickle";
  return null;
}

async function readExactly(handle: FileHandle, file: string, position: number, length: number): Promise<Uint8Array> {
  // A fresh buffer at offset 0, so typed-array views of any element size are aligned.
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(bytes, done, length - done, position + done);
    if (bytesRead === 0) {
      throw new NetworkFileError(file, "io", `the file ended at byte ${position + done}, expected ${position + length}`);
    }
    done += bytesRead;
  }
  return bytes;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian float bytes → float32. F64 rounds to nearest (as torch's `.to(torch.float32)`); the others are exact. */
function decodeFloats(dtype: FloatDtype, bytes: Uint8Array, elements: number): Float32Array {
  if (!LITTLE_ENDIAN) throw new Error("safetensors decoding assumes a little-endian host");
  const buffer = bytes.buffer as ArrayBuffer;
  switch (dtype) {
    case "F32":
      return new Float32Array(buffer, 0, elements);
    case "F16":
      return new Float32Array(new Float16Array(buffer, 0, elements));
    case "F64":
      return new Float32Array(new Float64Array(buffer, 0, elements));
    case "BF16": {
      // bfloat16 is the top half of a float32: widening is a 16-bit shift.
      const half = new Uint16Array(buffer, 0, elements);
      const out = new Float32Array(elements);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < elements; i++) bits[i] = half[i] << 16;
      return out;
    }
  }
}

/**
 * An open safetensors file: its validated header, and tensors read on demand. Close it when done
 * ({@link withSafetensors} does).
 */
export class SafetensorsFile implements SafetensorsHeader {
  readonly path: string;
  readonly fileSize: number;
  readonly headerLength: number;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly #handle: FileHandle;

  private constructor(path: string, handle: FileHandle, fileSize: number, header: SafetensorsHeader) {
    this.path = path;
    this.#handle = handle;
    this.fileSize = fileSize;
    this.headerLength = header.headerLength;
    this.metadata = header.metadata;
    this.tensors = header.tensors;
  }

  /** Byte offset of the data area in the file. */
  get dataStart(): number {
    return 8 + this.headerLength;
  }

  /** Opens and validates `path`; throws {@link NetworkFileError} (and closes the file) when it is not usable. */
  static async open(path: string): Promise<SafetensorsFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, "r");
    } catch (cause) {
      throw new NetworkFileError(path, "io", `cannot be opened (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause });
    }
    try {
      const { size } = await handle.stat();
      const prefix = await readExactly(handle, path, 0, Math.min(size, 9));
      // A safetensors file has its '{' at byte 8; anything else is checked for a pickle before it is called malformed.
      if (prefix[8] !== 0x7b) {
        const pickle = pickleKind(prefix);
        if (pickle !== null) {
          throw new NetworkFileError(
            path,
            "pickle",
            `is ${pickle}. Serena never executes pickles; convert the file to .safetensors`,
          );
        }
        throw malformed(path, size < 9 ? `is ${size} bytes, too short for a safetensors file` : "is not a safetensors file (no '{' at byte 8)");
      }
      const declared = new DataView(prefix.buffer).getBigUint64(0, true);
      if (declared > BigInt(MAX_HEADER_BYTES)) {
        throw malformed(path, `declares a ${declared}-byte header; the limit is ${MAX_HEADER_BYTES}`);
      }
      const headerLength = Number(declared);
      if (8 + headerLength > size) {
        throw malformed(path, `is ${size} bytes, shorter than its declared ${headerLength}-byte header`);
      }
      const json = await readExactly(handle, path, 8, headerLength);
      return new SafetensorsFile(path, handle, size, parseSafetensorsHeader(path, json, size));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  #info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (info === undefined) throw new RangeError(`${this.path}: no tensor named ${JSON.stringify(name)}`);
    return info;
  }

  /** The tensor's raw little-endian bytes. */
  async readBytes(name: string): Promise<Uint8Array> {
    const info = this.#info(name);
    return readExactly(this.#handle, this.path, this.dataStart + info.begin, info.end - info.begin);
  }

  /** The tensor decoded to float32 (F16, BF16, F32, F64); other dtypes are refused as "unsupported". */
  async readTensor(name: string): Promise<Tensor> {
    const info = this.#info(name);
    const { dtype } = info;
    if (!isFloatDtype(dtype)) {
      throw new NetworkFileError(this.path, "unsupported", `tensor ${JSON.stringify(name)} is ${dtype}, not a float dtype`);
    }
    const data = decodeFloats(dtype, await this.readBytes(name), info.elements);
    return { shape: info.shape, data };
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Opens `path`, runs `use` on it and closes it, whatever happens. */
export async function withSafetensors<T>(path: string, use: (file: SafetensorsFile) => Promise<T>): Promise<T> {
  const file = await SafetensorsFile.open(path);
  try {
    return await use(file);
  } finally {
    await file.close();
  }
}
