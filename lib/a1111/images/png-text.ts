/**
 * PNG text chunks (tEXt, zTXt, iTXt), read and written at the chunk level. sharp re-encodes pixels but has no
 * API for arbitrary text chunks, so the infotext is inserted into sharp's PNG output here. CRC-32 is
 * node:zlib's. Writing follows Pillow's `PngInfo.add_text`, as A1111 uses it: tEXt when the value is Latin-1,
 * otherwise an uncompressed iTXt.
 *
 * Reading follows Pillow 9.4's PngImagePlugin (`chunk_tEXt`, `chunk_zTXt`, `chunk_iTXt`, `_safe_zlib_decompress`),
 * including its bounds: a compressed chunk inflates to at most 1 MiB (`MAX_TEXT_CHUNK`), and the text of all chunks
 * together is bounded too (Pillow: 64 MiB, `MAX_TEXT_MEMORY`; Serena: LIMITS.maxImageTextBytes, since png-info
 * returns it all). Where Pillow refuses the file (a bad CRC, a chunk running past the end, a bomb, an unknown zTXt
 * compression method) A1111 answers 500 "Invalid encoded image"; here it is a PngFormatError the routes turn into a
 * 422 naming the field.
 */
import { constants, crc32, inflateSync } from "node:zlib";
import { LIMITS } from "../schemas/limits.ts";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Pillow's `MAX_TEXT_CHUNK` (`ImageFile.SAFEBLOCK`): what one compressed text chunk may inflate to. */
export const MAX_TEXT_CHUNK = 1024 * 1024;

/** A file Pillow would refuse to open. */
export class PngFormatError extends Error {}

interface Chunk {
  type: string;
  data: Buffer;
  /** Offset of the chunk's length field in the file. */
  start: number;
  end: number;
}

export function isPng(file: Buffer): boolean {
  return file.length >= 8 && file.subarray(0, 8).equals(SIGNATURE);
}

/**
 * The chunks up to IEND (or the end of the file), each with its length and CRC checked (PNG spec §5.3). A file cut
 * inside a chunk, a length past the end and a CRC mismatch are PngFormatErrors.
 */
function* chunks(file: Buffer): Generator<Chunk> {
  if (!isPng(file)) throw new PngFormatError("not a PNG file");
  let offset = 8;
  while (offset < file.length) {
    if (offset + 12 > file.length) throw new PngFormatError("truncated PNG chunk");
    const length = file.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (length > 0x7fffffff || end > file.length) throw new PngFormatError("truncated PNG chunk");
    const type = file.toString("latin1", offset + 4, offset + 8);
    const stored = file.readUInt32BE(end - 4);
    if ((crc32(file.subarray(offset + 4, end - 4)) >>> 0) !== stored) throw new PngFormatError(`broken PNG file (bad CRC in ${JSON.stringify(type)} chunk)`);
    yield { type, data: file.subarray(offset + 8, end - 4), start: offset, end };
    if (type === "IEND") return;
    offset = end;
  }
}

/** How many more bytes of text the image may hold; an inflate stops there. */
interface TextRoom {
  readonly bytes: number;
  readonly total: number;
}

const tooMuchText = (total: number) => new PngFormatError(`the image's text chunks hold more than ${total} bytes`);

/**
 * Inflates like Pillow's `_safe_zlib_decompress`: a truncated stream gives what it holds, corrupt data gives
 * "corrupt", and output past 1 MiB (or past the room left) stops the inflate and fails the file.
 */
function inflateText(data: Buffer, room: TextRoom): Buffer | "corrupt" {
  const limit = Math.min(MAX_TEXT_CHUNK, room.bytes);
  try {
    return inflateSync(data, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: Math.max(1, limit) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_BUFFER_TOO_LARGE") return "corrupt";
    if (limit < MAX_TEXT_CHUNK) throw tooMuchText(room.total);
    throw new PngFormatError(`a compressed text chunk inflates to more than ${MAX_TEXT_CHUNK} bytes (Pillow: "Decompressed Data Too Large")`);
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** One text chunk as Pillow reads it: [key, value], or null where Pillow ignores it. */
function decodeText(chunk: Chunk, room: TextRoom): [string, string] | null {
  const d = chunk.data;
  const nul = d.indexOf(0);
  if (chunk.type === "tEXt" || chunk.type === "zTXt") {
    // "fallback for broken tEXt tags": without a NUL the whole chunk is the key.
    const key = d.toString("latin1", 0, nul < 0 ? d.length : nul);
    const rest = nul < 0 ? Buffer.alloc(0) : d.subarray(nul + 1);
    if (chunk.type === "tEXt") return key ? [key, rest.toString("latin1")] : null;
    if (rest.length > 0 && rest[0] !== 0) throw new PngFormatError(`Unknown compression method ${rest[0]} in zTXt chunk`);
    const text = inflateText(rest.subarray(1), room);
    // A corrupt stream leaves the key with an empty value.
    return key ? [key, text === "corrupt" ? "" : text.toString("latin1")] : null;
  }
  // iTXt: key\0 compressed-flag method language\0 translated-key\0 text (UTF-8); Pillow skips what it cannot read.
  if (nul < 0 || d.length - nul - 1 < 2) return null;
  const [flag, method] = [d[nul + 1], d[nul + 2]];
  const langEnd = d.indexOf(0, nul + 3);
  const transEnd = langEnd < 0 ? -1 : d.indexOf(0, langEnd + 1);
  if (transEnd < 0) return null;
  let body: Buffer = d.subarray(transEnd + 1);
  if (flag !== 0) {
    if (method !== 0) return null;
    const inflated = inflateText(body, room);
    if (inflated === "corrupt") return null;
    body = inflated;
  }
  try {
    UTF8.decode(d.subarray(nul + 3, transEnd));
    return [d.toString("latin1", 0, nul), UTF8.decode(body)];
  } catch {
    return null;
  }
}

/**
 * Every text chunk, in file order; a key seen again replaces the earlier value, as in Pillow's `info`. Text
 * (keys and values, in bytes) past `maxTextBytes` in all is a PngFormatError.
 */
export function readPngText(file: Buffer, maxTextBytes: number = LIMITS.maxImageTextBytes): Record<string, string> {
  const out = new Map<string, string>();
  let used = 0;
  for (const chunk of chunks(file)) {
    if (chunk.type !== "tEXt" && chunk.type !== "zTXt" && chunk.type !== "iTXt") continue;
    const entry = decodeText(chunk, { bytes: maxTextBytes - used, total: maxTextBytes });
    if (!entry) continue;
    used += Buffer.byteLength(entry[0], "latin1") + Buffer.byteLength(entry[1], chunk.type === "iTXt" ? "utf8" : "latin1");
    if (used > maxTextBytes) throw tooMuchText(maxTextBytes);
    out.set(entry[0], entry[1]);
  }
  // Own properties even for keys like "__proto__", which a plain assignment would drop.
  return Object.fromEntries(out);
}

/** Checks a PNG's chunk structure (lengths, CRCs) without reading its text. */
export function checkPngChunks(file: Buffer): void {
  for (const chunk of chunks(file)) void chunk;
}

function makeChunk(type: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(data.length, 0);
  header.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(Buffer.from(type, "latin1"))) >>> 0, 0);
  return Buffer.concat([header, data, crc]);
}

const isLatin1 = (s: string) => [...s].every((c) => c.charCodeAt(0) <= 0xff);

function textChunk(key: string, value: string): Buffer {
  if (isLatin1(value)) return makeChunk("tEXt", Buffer.concat([Buffer.from(key, "latin1"), Buffer.from([0]), Buffer.from(value, "latin1")]));
  return makeChunk(
    "iTXt",
    Buffer.concat([Buffer.from(key, "latin1"), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(value, "utf8")]),
  );
}

/** Returns a copy of `file` with text chunks for `entries` inserted right after IHDR (before any IDAT). */
export function writePngText(file: Buffer, entries: Record<string, string>): Buffer {
  const first = chunks(file).next();
  if (first.done || first.value.type !== "IHDR") throw new PngFormatError("PNG does not start with IHDR");
  const text = Object.entries(entries).map(([k, v]) => textChunk(k, v));
  return Buffer.concat([file.subarray(0, first.value.end), ...text, file.subarray(first.value.end)]);
}
