/**
 * The cold-start copy of a model from S3 is logged once (lib/platform/storage/model-download.ts): when it starts,
 * when it ends (files, bytes, milliseconds), or that the cache already held it; and the cached folder carries the
 * name the model was uploaded under, which is the checkpoint name clients select it by.
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/platform/config.ts";
import { modelCatalog, resolveModel } from "../../../lib/platform/inference/local/model-catalog.ts";
import type { Logger } from "../../../lib/platform/runtime/logger.ts";
import { ensureModelFromS3, modelCacheFolder, syncModelFolder, type S3ModelSource } from "../../../lib/platform/storage/model-download.ts";
import { uploadModelFolder } from "../../../lib/platform/storage/model-upload.ts";
import { tinyModelDir } from "../../fixtures/engine.ts";
import { createTestBucket, type TestBucket } from "../../setup/s3.ts";

let bucket: TestBucket;
let source: S3ModelSource;
let total: { files: number; bytes: number };

beforeAll(async () => {
  bucket = await createTestBucket();
  const manifest = await uploadModelFolder(bucket.storage, "models/sd15/", await tinyModelDir());
  const sizes = Object.values(manifest.files).map((f) => f.size);
  total = { files: sizes.length, bytes: sizes.reduce((a, b) => a + b, 0) };
  source = { storage: bucket.storage, prefix: "models/sd15/" };
});

/** A logger that keeps what it is given. */
function recorder() {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const logger: Pick<Logger, "info"> = {
    info: (message, ...extra) => void lines.push({ message: String(message), fields: (extra[0] ?? {}) as Record<string, unknown> }),
  };
  return { lines, logger };
}

describe("the download's log lines", () => {
  it("say when it starts and when it ends, with the files, bytes and milliseconds", async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), "serena-log-cache-"));
    const { lines, logger } = recorder();
    const dir = await syncModelFolder(source, modelCacheFolder(source, cache), { logger: logger });
    expect(lines.map((l) => l.message)).toEqual(["model download started", "model downloaded"]);
    const uri = `s3://${bucket.name}/models/sd15/`;
    expect(lines[1]!.fields).toMatchObject({ uri, dir, ...total });
    expect(lines[1]!.fields.ms).toBeTypeOf("number");

    const again = recorder();
    await syncModelFolder(source, dir, { logger: again.logger });
    expect(again.lines.map((l) => l.message)).toEqual(["model found in cache"]);
    expect(again.lines[0]!.fields).toMatchObject({ uri, dir, ...total });
  });

  it("come once per process: later calls share the first one's result", async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), "serena-log-cache-"));
    const { lines, logger } = recorder();
    await Promise.all([1, 2, 3].map(() => ensureModelFromS3(source, cache, { logger: logger })));
    expect(lines.map((l) => l.message)).toEqual(["model download started", "model downloaded"]);
  });
});

describe("the name of a model from S3", () => {
  it("is the folder it was uploaded under, and sd_model_checkpoint selects it by that name", async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), "serena-log-cache-"));
    const config = parseConfig({ ...bucket.env, SERENA_MODEL_S3_URI: `s3://${bucket.name}/models/sd15/`, SERENA_CACHE_DIR: cache });
    const catalog = await modelCatalog(config);
    expect(catalog.map((e) => e.item.model_name)).toEqual(["sd15"]);
    expect(resolveModel(catalog, "sd15")?.dir).toBe(modelCacheFolder(source, cache));
  });

  it("stays inside the cache folder whatever the prefix", () => {
    const cache = "/cache";
    for (const prefix of ["models/../", "../", "a/./"]) {
      const dir = modelCacheFolder({ storage: bucket.storage, prefix }, cache);
      expect(path.relative(path.join(cache, "s3-models"), dir).startsWith("..")).toBe(false);
    }
  });
});
