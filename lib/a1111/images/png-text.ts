/**
 * PNG text chunks (tEXt, zTXt, iTXt), read and written at the chunk level. sharp re-encodes pixels but has no
 * API for arbitrary text chunks, so the infotext is inserted into sharp's PNG output here. CRC-32 is
 * node:zlib's. Writing follows Pillow's `PngInfo.add_text`, as A1111 uses it: tEXt when the value is Latin-1,
 * otherwise an uncompressed iTXt (docs/a1111-semantics.md §2.5).
 */
import { crc32, inflateSync } from "node:zlib";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

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

function* chunks(file: Buffer): Generator<Chunk> {
  if (!isPng(file)) throw new PngFormatError("not a PNG file");
  let offset = 8;
  while (offset + 12 <= file.length) {
    const length = file.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (end > file.length) throw new PngFormatError("truncated PNG chunk");
    const type = file.toString("latin1", offset + 4, offset + 8);
    yield { type, data: file.subarray(offset + 8, offset + 8 + length), start: offset, end };
    if (type === "IEND") return;
    offset = end;
  }
}

function decodeText(chunk: Chunk): [string, string] | null {
  const d = chunk.data;
  const nul = d.indexOf(0);
  if (nul < 1) return null;
  const key = d.toString("latin1", 0, nul);
  if (chunk.type === "tEXt") return [key, d.toString("latin1", nul + 1)];
  if (chunk.type === "zTXt") return [key, inflateSync(d.subarray(nul + 2)).toString("latin1")];
  // iTXt: key\0 compressed-flag method language\0 translated-key\0 text (UTF-8)
  const compressed = d[nul + 1] === 1;
  const langEnd = d.indexOf(0, nul + 3);
  const transEnd = langEnd < 0 ? -1 : d.indexOf(0, langEnd + 1);
  if (transEnd < 0) return null;
  const body = d.subarray(transEnd + 1);
  return [key, (compressed ? inflateSync(body) : body).toString("utf8")];
}

/** Every text chunk, in file order; a key seen twice keeps its first value, as Pillow does. */
export function readPngText(file: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const chunk of chunks(file)) {
    if (chunk.type !== "tEXt" && chunk.type !== "zTXt" && chunk.type !== "iTXt") continue;
    try {
      const entry = decodeText(chunk);
      if (entry && !(entry[0] in out)) out[entry[0]] = entry[1];
    } catch {
      // A corrupt compressed chunk is skipped, as Pillow skips it, rather than failing the whole image.
    }
  }
  return out;
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
