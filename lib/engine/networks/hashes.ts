/**
 * The hashes A1111 shows for LoRAs and textual-inversion embeddings, streamed from disk.
 *
 * - Embeddings: sha256 of the whole file (textual_inversion.py `create_embedding_from_data` →
 *   `hashes.sha256(filepath, "textual_inversion/" + name)`).
 * - LoRAs (extensions-builtin/Lora/network.py `NetworkOnDisk`): the metadata's `sshs_model_hash` when present
 *   (kohya's trainer stores it), else, for a `.safetensors` file, the "addnet" hash — sha256 of the bytes after the
 *   header, so editing metadata does not change it (modules/hashes.py `addnet_hash_safetensors`, from kohya
 *   library/train_util.py) — else the whole file's sha256.
 * - Short form for both: the first 12 hex digits (`set_hash`: `self.shorthash = self.hash[0:12]`); checkpoints
 *   use 10 (model/file-hash.ts).
 * - Infotext: `Lora hashes: "name: shorthash, …"` (extensions-builtin/Lora/extra_networks_lora.py, names as written
 *   in the prompt with ":" and "," removed) and `TI hashes: "name: shorthash, …"` (modules/sd_hijack_clip.py, same
 *   cleaning); entries without a hash are left out.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import { extname } from "node:path";
import { NetworkFileError } from "./network-file-error.ts";

async function sha256From(path: string, start: number): Promise<string> {
  const hash = createHash("sha256");
  try {
    // FileHandle streams rather than node:fs's createReadStream: importing node:fs loads its stream classes at
    // start-up, a cost every API function would pay (docs/engine.md, cold start).
    const file = await open(path);
    for await (const chunk of file.createReadStream({ start })) hash.update(chunk as Buffer);
  } catch (cause) {
    throw new NetworkFileError(path, "io", `cannot be read (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause });
  }
  return hash.digest("hex");
}

/** sha256 of the whole file, hex. */
export const fileSha256 = (path: string): Promise<string> => sha256From(path, 0);

/**
 * kohya's safetensors hash: sha256 of everything after the 8 + N header bytes, N being the file's first 8 bytes
 * read as a little-endian integer. Like A1111, N is not validated: past the end of the file it hashes nothing.
 */
export async function addnetHashSafetensors(path: string): Promise<string> {
  let declared: bigint;
  const handle = await open(path, "r").catch((cause: NodeJS.ErrnoException) => {
    throw new NetworkFileError(path, "io", `cannot be opened (${cause.code ?? cause})`, { cause });
  });
  try {
    const prefix = new Uint8Array(8);
    const { bytesRead } = await handle.read(prefix, 0, 8, 0);
    if (bytesRead < 8) throw new NetworkFileError(path, "malformed", `is ${bytesRead} bytes, too short for a safetensors file`);
    declared = new DataView(prefix.buffer).getBigUint64(0, true);
  } finally {
    await handle.close();
  }
  const start = 8n + declared;
  // createReadStream takes a Number position; anything past 2^53 is past any real file's end as well.
  return sha256From(path, start > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(start));
}

/** A1111's short hash for networks and embeddings: the first 12 hex digits. */
export const networkShortHash = (hash: string): string => hash.slice(0, 12);

/** The hash A1111 lists for a LoRA file (`NetworkOnDisk.hash`); its short form is {@link networkShortHash}. */
export async function loraHash(path: string, metadata: Readonly<Record<string, string>>): Promise<string> {
  const stored = Object.hasOwn(metadata, "sshs_model_hash") ? metadata.sshs_model_hash : "";
  if (stored) return stored;
  return extname(path).toLowerCase() === ".safetensors" ? addnetHashSafetensors(path) : fileSha256(path);
}

/** The hash A1111 lists for an embedding file. */
export const embeddingHash = (path: string): Promise<string> => fileSha256(path);

export interface NamedHash {
  /** The name as written in the prompt (the `<lora:name:…>` name, or the embedding's name). */
  name: string;
  /** The short hash; empty when A1111 has none (the entry is then left out). */
  shorthash: string;
}

const clean = (name: string) => name.replaceAll(":", "").replaceAll(",", "");

/**
 * The `Lora hashes` infotext value, or null when no entry has a hash. A1111 collects them in a dict keyed by the
 * cleaned name (a repeated name keeps its first position and its last hash).
 */
export function formatLoraHashes(entries: readonly NamedHash[]): string | null {
  const byName = new Map<string, string>();
  for (const { name, shorthash } of entries) if (shorthash && name) byName.set(clean(name), shorthash);
  return byName.size === 0 ? null : [...byName].map(([name, hash]) => `${name}: ${hash}`).join(", ");
}

/**
 * The `TI hashes` infotext value for the embeddings one prompt used, or null when none has a hash. A1111 writes it
 * once per text-encoder call, putting the new entries before the value already there (`previous`).
 */
export function formatTiHashes(entries: readonly NamedHash[], previous: string | null = null): string | null {
  const hashes = entries.filter(({ shorthash }) => shorthash).map(({ name, shorthash }) => `${clean(name)}: ${shorthash}`);
  if (hashes.length === 0) return previous;
  if (previous) hashes.push(previous);
  return hashes.join(", ");
}
