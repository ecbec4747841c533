/**
 * The bucket as every function sees it, with the AWS SDK imported on the first call that reaches the bucket rather
 * than when the function starts: routes that never touch S3 (`/sdapi/v1/samplers`, `/sdapi/v1/progress` without a
 * bucket, …) start without its megabyte of code (docs/engine.md "Benchmark", `npm run bench:bundles`).
 */
import type { ObjectStorage } from "./object-storage.ts";
import type { StorageSettings } from "./s3-storage.ts";

/** Storage for `settings.bucket` that loads s3-storage.ts when first used; null when no bucket is configured. */
export function createLazyStorage(settings: StorageSettings): ObjectStorage | null {
  if (!settings.bucket) return null;
  let storage: Promise<ObjectStorage> | null = null;
  const real = () => (storage ??= import("./s3-storage.ts").then((s3) => s3.createStorage(settings)!));
  return {
    bucket: settings.bucket,
    put: async (key, body, contentType) => (await real()).put(key, body, contentType),
    get: async (key) => (await real()).get(key),
    getJson: async <T>(key: string) => (await real()).getJson<T>(key),
    putJson: async (key, value) => (await real()).putJson(key, value),
    exists: async (key) => (await real()).exists(key),
    list: async (prefix) => (await real()).list(prefix),
    listObjects: async (prefix) => (await real()).listObjects(prefix),
    delete: async (key) => (await real()).delete(key),
    presignGet: async (key, expiresSeconds) => (await real()).presignGet(key, expiresSeconds),
    download: async (key, file, expected) => (await real()).download(key, file, expected),
    upload: async (key, file, contentType) => (await real()).upload(key, file, contentType),
  };
}
