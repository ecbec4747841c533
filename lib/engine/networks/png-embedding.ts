/**
 * Textual-inversion embeddings carried by PNG images (A1111 textual_inversion/image_embedding.py): A1111 writes the
 * embedding's dict as base64 JSON in an `sd-ti-embedding` text chunk (`embedding_to_b64`, saved through Pillow's
 * PngInfo.add_text, a tEXt chunk) and reads it back from `Image.text`, which also holds zTXt and iTXt chunks. This
 * reads those three chunk types (PNG specification §11.3.4) by walking the chunk list; pixel data is not decoded.
 *
 * Not read: embeddings hidden in the image's pixels (`extract_image_data_embed`, which A1111 tries when the text
 * chunk is absent), and WebP/JXL/AVIF embedding images, which reach A1111 through that path only.
 */
import { readFile } from "node:fs/promises";
import { inflateSync } from "node:zlib";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const KEYWORD = "sd-ti-embedding";
/** Bounds on what a text chunk may inflate to: an embedding's JSON is kilobytes, not gigabytes. */
const MAX_TEXT_BYTES = 64 * 2 ** 20;

function inflate(bytes: Buffer): string {
  return inflateSync(bytes, { maxOutputLength: MAX_TEXT_BYTES }).toString("latin1");
}

/** The text of a tEXt, zTXt or iTXt chunk whose keyword is `keyword`, or null. */
function chunkText(type: string, data: Buffer, keyword: string): string | null {
  const end = data.indexOf(0);
  if (end < 0 || data.toString("latin1", 0, end) !== keyword) return null;
  if (type === "tEXt") return data.toString("latin1", end + 1);
  if (type === "zTXt") return data[end + 1] === 0 ? inflate(data.subarray(end + 2)) : null;
  // iTXt: keyword, compression flag, method, language tag \0, translated keyword \0, text (UTF-8).
  const compressed = data[end + 1] === 1;
  const languageEnd = data.indexOf(0, end + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) return null;
  const text = data.subarray(translatedEnd + 1);
  return compressed ? Buffer.from(inflate(text), "latin1").toString("utf8") : text.toString("utf8");
}

/**
 * The `sd-ti-embedding` text of a PNG file, or null when the file is not a PNG or has no such chunk. Chunks are read
 * from the whole file in memory: embedding images are small, and the bound is the caller's (it skips large files).
 */
export async function readPngEmbeddingText(path: string): Promise<string | null> {
  const bytes = await readFile(path);
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString("latin1", at + 4, at + 8);
    const dataEnd = at + 8 + length;
    if (dataEnd + 4 > bytes.length) return null;
    if (type === "tEXt" || type === "zTXt" || type === "iTXt") {
      const text = chunkText(type, bytes.subarray(at + 8, dataEnd), KEYWORD);
      if (text !== null) return text;
    }
    if (type === "IEND") return null;
    at = dataEnd + 4;
  }
  return null;
}
