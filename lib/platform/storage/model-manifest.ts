/**
 * `serena-manifest.json`: the list of a model folder's files with their sizes and SHA-256 digests, written beside
 * them by `npm run upload-model` (model-upload.ts) and checked by the cold-start download (model-download.ts).
 * ETags cannot serve for this: a multipart upload's ETag is not a digest of the file.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import * as z from "zod";

export const MANIFEST_NAME = "serena-manifest.json";

export const ModelManifest = z.object({
  version: z.literal(1),
  /** Relative paths with "/" separators. */
  files: z.record(z.string(), z.object({ size: z.int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
export type ModelManifest = z.output<typeof ModelManifest>;

/** A relative path that stays inside the folder it is joined to. */
export function isSafeRelativePath(rel: string): boolean {
  if (rel === "" || rel.includes("\\") || rel.includes("\0") || rel.startsWith("/")) return false;
  return rel.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/** SHA-256 and/or MD5 of a file in one read, as hex. */
export async function fileDigests(file: string, algorithms: readonly ("sha256" | "md5")[]): Promise<Partial<Record<"sha256" | "md5", string>>> {
  const hashes = algorithms.map((a) => [a, createHash(a)] as const);
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    for (const [, h] of hashes) h.update(chunk as Buffer);
  }
  return Object.fromEntries(hashes.map(([a, h]) => [a, h.digest("hex")]));
}

/** Every file under `folder` (relative paths, sorted), the manifest itself excluded. */
export async function folderFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(folder, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .filter((rel) => rel !== MANIFEST_NAME)
    .sort();
}

export async function manifestForFolder(folder: string): Promise<ModelManifest> {
  const files: ModelManifest["files"] = {};
  for (const rel of await folderFiles(folder)) {
    const file = path.join(folder, rel);
    const [{ size }, { sha256 }] = await Promise.all([stat(file), fileDigests(file, ["sha256"])]);
    files[rel] = { size, sha256: sha256! };
  }
  return { version: 1, files };
}
