/**
 * A model folder kept in S3 (`SERENA_MODEL_S3_URI=s3://bucket/prefix/`), copied to local disk on cold start and
 * reused while the instance is warm.
 *
 * - Where: `<cacheDir>/s3-models/<16 hex of sha256(uri)>/<last prefix segment>/`: two URIs never share a folder, and
 *   the folder's own name, which is the checkpoint's name in `/sdapi/v1/sd-models`, is the name the model was
 *   uploaded under (`s3://bucket/models/sd15/` is `sd15`), so clients select it by that name.
 * - Integrity: with a `serena-manifest.json` under the prefix (written by `npm run upload-model`), exactly the files
 *   it lists are fetched and each must match its size and SHA-256. Without one, every object under the prefix is
 *   fetched and checked against its listed size and, when the ETag is a plain MD5 (single-part uploads), its MD5;
 *   multipart ETags are not digests of the content, so those files are checked by size only.
 * - Atomicity: files go into a private staging folder that is renamed into place only when complete, with a marker
 *   file recording what was downloaded; a failure removes the staging folder and leaves nothing behind.
 * - Concurrency: calls in one process share one promise; processes on one machine share a lock file (file-lock.ts),
 *   and a waiter that gets the lock after another process finished finds the folder current and returns it.
 * - Freshness: the first call in a process lists the prefix once and compares it with the marker, so a model
 *   re-uploaded to the same prefix replaces the cached copy on the next cold start; later calls reuse the folder.
 * - Logs: with a logger, one line when the folder is found current in the cache and one when a download ends, with
 *   the file count, bytes and milliseconds, so a slow cold start can be told apart from a slow generation.
 */
import { createHash, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../runtime/logger.ts";
import { mapConcurrent } from "./concurrency.ts";
import { withFileLock, type LockOptions } from "./file-lock.ts";
import { fileDigests, isSafeRelativePath, MANIFEST_NAME, ModelManifest } from "./model-manifest.ts";
import type { ObjectStorage } from "./object-storage.ts";
import { createStorage, type StorageSettings } from "./s3-storage.ts";

export interface S3ModelSource {
  storage: ObjectStorage;
  /** Key prefix of the folder, ending with "/" (or "" for a whole bucket). */
  prefix: string;
}

/** The marker that makes a folder complete: what was downloaded, for the freshness check. */
export const COMPLETE_MARKER = ".serena-model.json";

export class ModelIntegrityError extends Error {
  readonly file: string;
  constructor(file: string, detail: string) {
    super(`model file ${file} ${detail}`);
    this.file = file;
  }
}

interface PlannedFile {
  rel: string;
  key: string;
  size: number;
  etag: string | null;
  sha256: string | null;
}

export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  const prefix = match[2]!;
  return { bucket: match[1]!, prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/` };
}

const sources = new Map<string, S3ModelSource>();

/**
 * The model folder at `uri`, read with the configured endpoint and region (the bucket may differ from
 * SERENA_BUCKET). One client per URI and settings for the life of the process, since the catalog asks per request.
 */
export function s3ModelSource(uri: string, settings: Pick<StorageSettings, "endpoint" | "region" | "presignExpiresSeconds">): S3ModelSource {
  const id = JSON.stringify([uri, settings.endpoint, settings.region]);
  let source = sources.get(id);
  if (!source) {
    const { bucket, prefix } = parseS3Uri(uri);
    sources.set(id, (source = { storage: createStorage({ ...settings, bucket })!, prefix }));
  }
  return source;
}

const sourceUri = (source: S3ModelSource) => `s3://${source.storage.bucket}/${source.prefix}`;

/** The model's name: the prefix's last segment (the bucket's name for a whole bucket), as a safe folder name. */
export function s3ModelName(source: S3ModelSource): string {
  const name = (source.prefix.split("/").filter(Boolean).pop() ?? source.storage.bucket).replace(/[^\w.-]/g, "_");
  return /^\.+$/.test(name) ? name.replace(/\./g, "_") : name;
}

export function modelCacheFolder(source: S3ModelSource, cacheDir: string): string {
  const digest = createHash("sha256").update(sourceUri(source)).digest("hex").slice(0, 16);
  return path.join(cacheDir, "s3-models", digest, s3ModelName(source));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What to fetch and what each file must match; its fingerprint identifies this version of the folder. */
async function planDownload(source: S3ModelSource): Promise<{ files: PlannedFile[]; fingerprint: string }> {
  const uri = sourceUri(source);
  const objects = (await source.storage.listObjects(source.prefix)).filter((o) => !o.key.endsWith("/"));
  const byRel = new Map(objects.map((o) => [o.key.slice(source.prefix.length), o]));
  const manifestObject = byRel.get(MANIFEST_NAME);
  let files: PlannedFile[];
  if (manifestObject) {
    const text = (await source.storage.get(manifestObject.key))?.toString("utf8") ?? "";
    const parsed = ModelManifest.safeParse(parseJson(text));
    if (!parsed.success) throw new ModelIntegrityError(MANIFEST_NAME, `in ${uri} is not a valid manifest: ${parsed.error.message}`);
    files = Object.entries(parsed.data.files).map(([rel, expected]) => {
      const object = byRel.get(rel);
      if (!object) throw new ModelIntegrityError(rel, `is listed in ${uri}${MANIFEST_NAME} but missing from the bucket`);
      if (object.size !== expected.size) {
        throw new ModelIntegrityError(rel, `in ${uri} has ${object.size} bytes; the manifest says ${expected.size}`);
      }
      return { rel, key: object.key, size: object.size, etag: object.etag, sha256: expected.sha256 };
    });
  } else {
    files = [...byRel].map(([rel, o]) => ({ rel, key: o.key, size: o.size, etag: o.etag, sha256: null }));
  }
  if (files.length === 0) throw new Error(`no model files under ${uri}`);
  for (const f of files) {
    if (!isSafeRelativePath(f.rel) || f.rel === COMPLETE_MARKER) throw new ModelIntegrityError(f.rel, `in ${uri} has an unusable path`);
  }
  files.sort((a, b) => (a.rel < b.rel ? -1 : 1));
  const fingerprint = createHash("sha256")
    .update(JSON.stringify([uri, files.map((f) => [f.rel, f.size, f.etag, f.sha256])]))
    .digest("hex");
  return { files, fingerprint };
}

async function isCurrent(dir: string, fingerprint: string): Promise<boolean> {
  const marker = await readFile(path.join(dir, COMPLETE_MARKER), "utf8").catch(() => null);
  return marker !== null && (JSON.parse(marker) as { fingerprint?: string }).fingerprint === fingerprint;
}

const PLAIN_MD5 = /^[0-9a-f]{32}$/;

async function fetchAndVerify(source: S3ModelSource, file: PlannedFile, staging: string): Promise<void> {
  const target = path.join(staging, ...file.rel.split("/"));
  await mkdir(path.dirname(target), { recursive: true });
  await source.storage.download(file.key, target, { size: file.size, etag: file.etag });
  const { size } = await stat(target);
  if (size !== file.size) throw new ModelIntegrityError(file.rel, `arrived with ${size} bytes; expected ${file.size}`);
  const md5 = file.sha256 === null && file.etag !== null && PLAIN_MD5.test(file.etag) ? file.etag : null;
  if (file.sha256 === null && md5 === null) return;
  const digests = await fileDigests(target, file.sha256 !== null ? ["sha256"] : ["md5"]);
  if (file.sha256 !== null && digests.sha256 !== file.sha256) {
    throw new ModelIntegrityError(file.rel, `failed its integrity check: sha256 ${digests.sha256}, the manifest says ${file.sha256}`);
  }
  if (md5 !== null && digests.md5 !== md5) {
    throw new ModelIntegrityError(file.rel, `failed its integrity check: md5 ${digests.md5}, the ETag says ${md5}`);
  }
}

/** Moves a complete staging folder into place, replacing an outdated copy. Runs under the lock. */
async function install(staging: string, dir: string): Promise<void> {
  try {
    await rename(staging, dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    const old = `${dir}.old-${randomUUID()}`;
    await rename(dir, old);
    await rename(staging, dir);
    await rm(old, { recursive: true, force: true });
  }
}

export interface EnsureModelOptions {
  lock?: Partial<LockOptions>;
  /** Files fetched at once (each large file is itself fetched in parallel ranges). */
  concurrency?: number;
  /** Called as each file starts downloading (logs; tests count downloads with it). */
  onFile?: (rel: string, size: number) => void;
  /** Where the download's log lines go. */
  logger?: Pick<Logger, "info">;
}

/**
 * Makes `dir` a current, verified copy of `source` without the in-process sharing of ensureModelFromS3: two calls
 * behave as two processes would, one downloading under the lock and the other finding its result.
 */
export async function syncModelFolder(source: S3ModelSource, dir: string, options: EnsureModelOptions = {}): Promise<string> {
  const started = performance.now();
  const { files, fingerprint } = await planDownload(source);
  const facts = () => ({
    uri: sourceUri(source),
    dir,
    files: files.length,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
    ms: Math.round(performance.now() - started),
  });
  const current = () => {
    options.logger?.info("model found in cache", facts());
    return dir;
  };
  if (await isCurrent(dir, fingerprint)) return current();
  await mkdir(path.dirname(dir), { recursive: true });
  return withFileLock(
    `${dir}.lock`,
    async () => {
      if (await isCurrent(dir, fingerprint)) return current();
      options.logger?.info("model download started", { ...facts(), ms: undefined });
      const staging = await mkdtemp(`${dir}.staging-`);
      try {
        await mapConcurrent(files, options.concurrency ?? 4, (file) => {
          options.onFile?.(file.rel, file.size);
          return fetchAndVerify(source, file, staging);
        });
        const marker = { uri: sourceUri(source), fingerprint, files: files.map((f) => f.rel), downloadedAt: new Date().toISOString() };
        await writeFile(path.join(staging, COMPLETE_MARKER), JSON.stringify(marker, null, 2));
        await install(staging, dir);
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
      options.logger?.info("model downloaded", facts());
      return dir;
    },
    options.lock,
  );
}

const ensured = new Map<string, Promise<string>>();

/** The local folder holding the model at `source`, downloading and verifying it first when needed. */
export function ensureModelFromS3(source: S3ModelSource, cacheDir: string, options: EnsureModelOptions = {}): Promise<string> {
  const dir = modelCacheFolder(source, cacheDir);
  let pending = ensured.get(dir);
  if (!pending) {
    pending = syncModelFolder(source, dir, options);
    ensured.set(dir, pending);
    // A failed attempt is forgotten, so the next request tries again instead of repeating the error forever.
    pending.catch(() => ensured.delete(dir));
  }
  return pending;
}
