/**
 * A1111 identifies a checkpoint by the sha256 of its file (`sd_models.model_hash`, shown as the first 10 hex digits).
 * Serena hashes the export's unet/model.onnx. Hashes are cached by path, size and modification time, so listing
 * models and loading one hash each file once.
 */
import { createHash } from "node:crypto";
import { open, stat } from "node:fs/promises";

const cache = new Map<string, { key: string; sha256: Promise<string> }>();

async function digest(path: string): Promise<string> {
  const hash = createHash("sha256");
  // A FileHandle stream (closed at its end) keeps node:fs out of the API functions' start-up imports.
  const file = await open(path);
  for await (const chunk of file.createReadStream()) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The file's sha256 in hex; rejects when it cannot be read. */
export async function fileSha256(path: string): Promise<string> {
  const info = await stat(path);
  const key = `${info.size}:${info.mtimeMs}`;
  const cached = cache.get(path);
  if (cached?.key === key) return cached.sha256;
  const sha256 = digest(path);
  cache.set(path, { key, sha256 });
  sha256.catch(() => cache.delete(path));
  return sha256;
}

/** A1111's short hash: the first 10 hex digits of the sha256. */
export const shortHash = (sha256: string) => sha256.slice(0, 10);
