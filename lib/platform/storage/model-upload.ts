/**
 * Puts a local model folder under an S3 prefix for SERENA_MODEL_S3_URI: every file, then `serena-manifest.json`
 * with their sizes and SHA-256 digests. The manifest goes last, so a prefix with a manifest is a complete upload;
 * the download (model-download.ts) verifies every file against it.
 */
import path from "node:path";
import { manifestForFolder, MANIFEST_NAME, type ModelManifest } from "./model-manifest.ts";
import type { ObjectStorage } from "./object-storage.ts";

const CONTENT_TYPES: Record<string, string> = { ".json": "application/json", ".txt": "text/plain" };

export async function uploadModelFolder(
  storage: ObjectStorage,
  prefix: string,
  folder: string,
  onFile: (rel: string, size: number) => void = () => undefined,
): Promise<ModelManifest> {
  const manifest = await manifestForFolder(folder);
  for (const [rel, { size }] of Object.entries(manifest.files)) {
    onFile(rel, size);
    const contentType = CONTENT_TYPES[path.extname(rel)] ?? "application/octet-stream";
    await storage.upload(`${prefix}${rel}`, path.join(folder, ...rel.split("/")), contentType);
  }
  await storage.putJson(`${prefix}${MANIFEST_NAME}`, manifest);
  return manifest;
}
