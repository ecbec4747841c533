/**
 * The checkpoints the local engine can load (`/sdapi/v1/sd-models`): SERENA_MODEL_DIR, the model folder at
 * SERENA_MODEL_S3_URI (downloaded into the cache folder on first use, lib/platform/storage/model-download.ts), every folder of
 * SERENA_MODELS_ROOT that holds a model_index.json, or, with none configured, the generated tiny model
 * (written once into the cache folder). A model is identified as A1111 identifies checkpoints: title
 * "name [short hash]", the hash being sha256 of unet/model.onnx (cached by size and modification time). The name is
 * the folder's; a model from S3 is named after the prefix it was uploaded under (model-download.ts).
 */
import { access, readdir } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../../config.ts";
import { fileSha256, shortHash } from "../../../engine/model/file-hash.ts";
import type { SDModelItem } from "../../../a1111/schemas/catalog-items.ts";
import type { Logger } from "../../runtime/logger.ts";

export const DEFAULT_TINY_VARIANT = "sd1-diffusers";

/** sha256 of unet/model.onnx, or null when the folder has none (a broken folder is listed, and fails when loaded). */
const unetSha256 = (dir: string) => fileSha256(path.join(dir, "unet", "model.onnx")).catch(() => null);

/** What the catalog reads; `storage` is optional so that callers without S3 settings need not invent them. */
export type CatalogConfig = Pick<Config, "modelDir" | "modelsRoot" | "cacheDir"> & { storage?: Config["storage"] };

/** `logger` receives the S3 download's log lines (model-download.ts). */
export async function modelDirs(config: CatalogConfig, logger?: Pick<Logger, "info">): Promise<string[]> {
  const dirs: string[] = [];
  if (config.modelDir) dirs.push(path.resolve(config.modelDir));
  const modelUri = config.storage?.modelUri;
  if (modelUri) {
    // Imported here, like the tiny model's generator below: the catalog's other callers never need the AWS SDK or
    // onnx-proto (`npm run bench:bundles`).
    const { ensureModelFromS3, s3ModelSource } = await import("../../storage/model-download.ts");
    const dir = await ensureModelFromS3(s3ModelSource(modelUri, config.storage!), config.cacheDir, logger ? { logger } : {});
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  if (config.modelsRoot) {
    const root = path.resolve(config.modelsRoot);
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const dir = path.join(root, e.name);
      const folder = e.isDirectory() || e.isSymbolicLink();
      const hasIndex = folder && (await access(path.join(dir, "model_index.json")).then(() => true, () => false));
      if (hasIndex && !dirs.includes(dir)) dirs.push(dir);
    }
  }
  if (dirs.length === 0 && !config.modelDir && !config.modelsRoot && !modelUri) {
    const { ensureTinyModel } = await import("../../../engine/tiny-model/index.ts");
    dirs.push(await ensureTinyModel(config.cacheDir, DEFAULT_TINY_VARIANT));
  }
  return dirs;
}

export interface CatalogEntry {
  dir: string;
  item: SDModelItem;
}

export async function modelCatalog(config: CatalogConfig, logger?: Pick<Logger, "info">): Promise<CatalogEntry[]> {
  const dirs = await modelDirs(config, logger);
  return Promise.all(
    dirs.map(async (dir) => {
      const name = path.basename(dir);
      const sha256 = await unetSha256(dir);
      const hash = sha256 === null ? null : shortHash(sha256);
      return {
        dir,
        item: { title: hash ? `${name} [${hash}]` : name, model_name: name, hash, sha256, filename: dir, config: null },
      };
    }),
  );
}

/** The folder for a checkpoint name (title, name, hash, sha256 or path); the first model when the name is empty. */
export function resolveModel(catalog: CatalogEntry[], name: string): CatalogEntry | undefined {
  if (!name) return catalog[0];
  return catalog.find(({ item }) => [item.title, item.model_name, item.hash, item.sha256, item.filename].includes(name));
}
