/**
 * A model folder in S3 (SERENA_MODEL_S3_URI) copied to local disk: uploaded with its manifest, downloaded and
 * verified, reused, downloaded once however many callers ask at the same time, refused when an object is corrupt
 * (with nothing left behind), and served by the local engine. The model is the generated tiny model.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/platform/config.ts";
import { modelCatalog } from "../../../lib/platform/inference/local/model-catalog.ts";
import type { Services } from "../../../lib/platform/runtime/services.ts";
import { GenerationResponse } from "../../../lib/a1111/schemas/generation-response.ts";
import { withFileLock } from "../../../lib/platform/storage/file-lock.ts";
import {
  COMPLETE_MARKER,
  ensureModelFromS3,
  modelCacheFolder,
  ModelIntegrityError,
  parseS3Uri,
  syncModelFolder,
  type S3ModelSource,
} from "../../../lib/platform/storage/model-download.ts";
import { folderFiles, MANIFEST_NAME, ModelManifest } from "../../../lib/platform/storage/model-manifest.ts";
import { uploadModelFolder } from "../../../lib/platform/storage/model-upload.ts";
import type { ObjectStorage } from "../../../lib/platform/storage/object-storage.ts";
import { apiClient } from "../../fixtures/api.ts";
import { pixelsOf, TEST_CACHE_DIR, tinyModelDir } from "../../fixtures/engine.ts";
import { testServices } from "../../fixtures/services.ts";
import { createTestBucket, type TestBucket } from "../../setup/s3.ts";

const MiB = 1024 * 1024;
let bucket: TestBucket;
let modelDir: string;
let files: string[];

const sha256 = async (file: string) => createHash("sha256").update(await readFile(file)).digest("hex");
const freshCache = () => mkdtemp(path.join(os.tmpdir(), "serena-s3-cache-"));

/** The bucket's storage, counting the objects it downloads. */
function counting(storage: ObjectStorage) {
  const downloads: string[] = [];
  const wrapped: ObjectStorage = {
    ...storage,
    download: (key, file, expected) => {
      downloads.push(key);
      return storage.download(key, file, expected);
    },
  };
  return { storage: wrapped, downloads };
}

async function upload(prefix: string): Promise<S3ModelSource> {
  await uploadModelFolder(bucket.storage, prefix, modelDir);
  return { storage: bucket.storage, prefix };
}

beforeAll(async () => {
  // A 1 MiB range size makes the 6 MB text encoder come down in parallel ranges, as a real UNet would.
  bucket = await createTestBucket({ rangedThreshold: MiB, rangeSize: MiB });
  modelDir = await tinyModelDir();
  files = await folderFiles(modelDir);
});

describe("uploading a model folder", () => {
  it("puts every file under the prefix and a manifest with each file's size and SHA-256", async () => {
    await upload("models/upload/");
    const manifest = ModelManifest.parse(await bucket.storage.getJson(`models/upload/${MANIFEST_NAME}`));
    expect(Object.keys(manifest.files).sort()).toEqual(files);
    for (const rel of files) {
      const file = path.join(modelDir, rel);
      expect(manifest.files[rel]).toEqual({ size: (await stat(file)).size, sha256: await sha256(file) });
    }
    expect((await bucket.storage.list("models/upload/")).sort()).toEqual([...files.map((f) => `models/upload/${f}`), `models/upload/${MANIFEST_NAME}`].sort());
  });

  it("works as `npm run upload-model -- <folder> s3://bucket/prefix/`", async () => {
    const env = { ...process.env, ...bucket.env };
    const { stdout } = await promisify(execFile)(process.execPath, ["scripts/upload-model.ts", modelDir, `s3://${bucket.name}/models/cli`], { env });
    expect(stdout).toMatch(new RegExp(`uploaded ${files.length} files, .* to s3://${bucket.name}/models/cli/`));
    expect(await bucket.storage.exists(`models/cli/${MANIFEST_NAME}`)).toBe(true);
  });
});

describe("downloading a model folder", () => {
  let source: S3ModelSource;
  beforeAll(async () => {
    source = await upload("models/sd-tiny/");
  });

  it("puts it under <cache>/s3-models/<digest of the URI>/<name>/, every file identical to the original", async () => {
    const cache = await freshCache();
    const dir = await ensureModelFromS3(source, cache);
    const digest = createHash("sha256").update(`s3://${bucket.name}/models/sd-tiny/`).digest("hex").slice(0, 16);
    // The folder's name is the checkpoint's name: the one the model was uploaded under.
    expect(dir).toBe(path.join(cache, "s3-models", digest, "sd-tiny"));
    expect(await folderFiles(dir)).toEqual([COMPLETE_MARKER, ...files].sort());
    for (const rel of files) expect(await sha256(path.join(dir, rel))).toBe(await sha256(path.join(modelDir, rel)));
    // Nothing but the finished folder is left in the cache: no staging folder, no lock.
    expect(await readdir(path.dirname(dir))).toEqual([path.basename(dir)]);
  });

  it("reuses the folder: a second call in the process returns it at once, a new process only lists the prefix", async () => {
    const cache = await freshCache();
    const { storage, downloads } = counting(source.storage);
    const counted = { storage, prefix: source.prefix };
    const dir = await ensureModelFromS3(counted, cache);
    expect(downloads).toHaveLength(files.length);
    expect(await ensureModelFromS3(counted, cache)).toBe(dir);
    // syncModelFolder is what a new process does: it finds the folder current and downloads nothing.
    expect(await syncModelFolder(counted, dir)).toBe(dir);
    expect(downloads).toHaveLength(files.length);
  });

  it("downloads once for concurrent callers in one process and across processes (the lock)", async () => {
    const cache = await freshCache();
    const { storage, downloads } = counting(source.storage);
    const counted = { storage, prefix: source.prefix };
    const calls = [ensureModelFromS3(counted, cache), ensureModelFromS3(counted, cache)];
    expect(calls[0]).toBe(calls[1]);
    await Promise.all(calls);
    expect(downloads).toHaveLength(files.length);

    // Two unshared calls behave as two processes: one downloads under the lock file, the other waits for it.
    const dir = path.join(await freshCache(), "model");
    const results = await Promise.all([syncModelFolder(counted, dir, { lock: { pollMs: 20 } }), syncModelFolder(counted, dir, { lock: { pollMs: 20 } })]);
    expect(results).toEqual([dir, dir]);
    expect(downloads).toHaveLength(2 * files.length);
  });

  it("waits for a live lock holder and breaks a stale lock", async () => {
    const dir = path.join(await freshCache(), "model");
    let release!: () => void;
    const held = withFileLock(`${dir}.lock`, () => new Promise<void>((resolve) => (release = resolve)));
    let done = false;
    const sync = syncModelFolder(source, dir, { lock: { pollMs: 20 } }).then((d) => ((done = true), d));
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBe(false);
    release();
    await held;
    expect(await sync).toBe(dir);

    // A lock nobody has touched for longer than staleMs belongs to a process that died.
    const other = path.join(await freshCache(), "model");
    await writeFile(`${other}.lock`, "{}");
    const old = new Date(Date.now() - 60_000);
    await utimes(`${other}.lock`, old, old);
    expect(await syncModelFolder(source, other, { lock: { staleMs: 10_000, pollMs: 20 } })).toBe(other);
  });

  it("replaces the cached copy when the folder in S3 changed (checked once per process)", async () => {
    const cache = await freshCache();
    const changing = await upload("models/changing/");
    const dir = await ensureModelFromS3(changing, cache);
    await bucket.storage.put("models/changing/notes.txt", "v2", "text/plain");
    const manifest = ModelManifest.parse(await bucket.storage.getJson(`models/changing/${MANIFEST_NAME}`));
    manifest.files["notes.txt"] = { size: 2, sha256: createHash("sha256").update("v2").digest("hex") };
    await bucket.storage.putJson(`models/changing/${MANIFEST_NAME}`, manifest);
    expect(await syncModelFolder(changing, dir)).toBe(dir);
    expect(await readFile(path.join(dir, "notes.txt"), "utf8")).toBe("v2");
    expect((await readdir(path.dirname(dir))).filter((n) => n !== path.basename(dir))).toEqual([]);
  });

  it("without a manifest, fetches every object and checks sizes and single-part MD5 ETags", async () => {
    for (const rel of files) await bucket.storage.upload(`models/plain/${rel}`, path.join(modelDir, rel), "application/octet-stream");
    const dir = await ensureModelFromS3({ storage: bucket.storage, prefix: "models/plain/" }, await freshCache());
    for (const rel of files) expect(await sha256(path.join(dir, rel))).toBe(await sha256(path.join(modelDir, rel)));
  });
});

describe("integrity failures", () => {
  async function expectNothingLeft(source: S3ModelSource, cache: string) {
    const dir = modelCacheFolder(source, cache);
    expect(await readdir(path.dirname(dir)).catch(() => [])).toEqual([]);
  }

  it("refuses an object whose bytes differ from the manifest, naming the file, and leaves nothing half-written", async () => {
    const source = await upload("models/corrupt/");
    const victim = "unet/model.onnx";
    const original = await readFile(path.join(modelDir, victim));
    const corrupt = Buffer.from(original);
    corrupt[corrupt.length - 1] ^= 0xff;
    await bucket.storage.put(`models/corrupt/${victim}`, corrupt, "application/octet-stream");
    const cache = await freshCache();
    const error = await ensureModelFromS3(source, cache).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect((error as ModelIntegrityError).file).toBe(victim);
    expect((error as Error).message).toContain(`sha256 ${createHash("sha256").update(corrupt).digest("hex")}`);
    await expectNothingLeft(source, cache);
    // The failure is not remembered: once the object is fixed, the next call succeeds.
    await bucket.storage.put(`models/corrupt/${victim}`, original, "application/octet-stream");
    expect(await folderFiles(await ensureModelFromS3(source, cache))).toContain(victim);
  });

  it("refuses a manifest file that is missing from the bucket or has another size, before downloading", async () => {
    const source = await upload("models/incomplete/");
    await bucket.storage.delete("models/incomplete/vae_decoder/model.onnx");
    const cache = await freshCache();
    await expect(ensureModelFromS3(source, cache)).rejects.toThrow("model file vae_decoder/model.onnx is listed in");
    await bucket.storage.put("models/incomplete/vae_decoder/model.onnx", "short", "application/octet-stream");
    await expect(syncModelFolder(source, path.join(cache, "x"))).rejects.toThrow(/model file vae_decoder\/model.onnx .* has 5 bytes; the manifest says \d+/);
    await expectNothingLeft(source, cache);
  });

  it("refuses a manifest that is not one", async () => {
    const source = await upload("models/bad-manifest/");
    await bucket.storage.put(`models/bad-manifest/${MANIFEST_NAME}`, "{ not json", "application/json");
    const error = await ensureModelFromS3(source, await freshCache()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect((error as ModelIntegrityError).file).toBe(MANIFEST_NAME);
  });

  it("refuses an empty prefix", async () => {
    await expect(ensureModelFromS3({ storage: bucket.storage, prefix: "models/none/" }, await freshCache())).rejects.toThrow("no model files under");
  });
});

describe("S3 URIs", () => {
  it("split into bucket and a prefix ending in '/'", () => {
    expect(parseS3Uri("s3://b/models/sd15")).toEqual({ bucket: "b", prefix: "models/sd15/" });
    expect(parseS3Uri("s3://b/models/sd15/")).toEqual({ bucket: "b", prefix: "models/sd15/" });
    expect(parseS3Uri("s3://b")).toEqual({ bucket: "b", prefix: "" });
    expect(() => parseS3Uri("https://b/x")).toThrow("not an s3:// URI");
  });
});

describe("SERENA_MODEL_S3_URI with the local engine", () => {
  const opened: Services[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.backend.close?.()));
  });

  it("lists the downloaded model as a checkpoint and generates the same pixels as the same model on disk", async () => {
    await upload("models/engine/");
    const cache = await freshCache();
    const env = { ...bucket.env, SERENA_MODEL_S3_URI: `s3://${bucket.name}/models/engine/`, SERENA_CACHE_DIR: cache };
    const catalog = await modelCatalog(parseConfig(env));
    expect(catalog.map((e) => e.item.model_name)).toEqual([path.basename(modelCacheFolder({ storage: bucket.storage, prefix: "models/engine/" }, cache))]);

    const fromS3 = testServices({ ...env, SERENA_BACKEND: "local" });
    const fromDisk = testServices({ SERENA_BACKEND: "local", SERENA_MODEL_DIR: modelDir, SERENA_CACHE_DIR: TEST_CACHE_DIR });
    opened.push(fromS3, fromDisk);
    const body = { prompt: "a lighthouse", seed: 5, steps: 3, width: 64, height: 64 };
    const [a, b] = await Promise.all([apiClient(fromS3).post("/sdapi/v1/txt2img", body), apiClient(fromDisk).post("/sdapi/v1/txt2img", body)]);
    expect(a.status, a.text.slice(0, 300)).toBe(200);
    // Same weights, same seed: the same pixels (the infotexts differ only in the model's name).
    const [pa, pb] = await Promise.all([a, b].map((r) => pixelsOf(Buffer.from(GenerationResponse.parse(r.json()).images[0]!, "base64"))));
    expect(pa!.data.equals(pb!.data)).toBe(true);
    expect(JSON.parse(GenerationResponse.parse(a.json()).info).sd_model_name).toBe(catalog[0]!.item.model_name);
  });
});
