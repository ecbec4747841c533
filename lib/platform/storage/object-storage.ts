/**
 * Object storage as Serena uses it: model files, output images, job state and shared settings in one bucket.
 * Implemented over S3 (s3-storage.ts); any S3-compatible server works through an endpoint override.
 */
export interface StoredObject {
  key: string;
  size: number;
  /** The ETag without quotes: an MD5 hex digest for single-part uploads, "<md5>-<parts>" for multipart ones. */
  etag: string | null;
}

export interface ObjectStorage {
  readonly bucket: string;
  put(key: string, body: Buffer | string, contentType: string): Promise<void>;
  /** null when the key does not exist. */
  get(key: string): Promise<Buffer | null>;
  getJson<T>(key: string): Promise<T | null>;
  putJson(key: string, value: unknown): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix, in key order. */
  list(prefix: string): Promise<string[]>;
  /** Objects under a prefix with their sizes and ETags, in key order. */
  listObjects(prefix: string): Promise<StoredObject[]>;
  delete(key: string): Promise<void>;
  /** A time-limited GET URL (SERENA_PRESIGN_EXPIRES seconds unless given). */
  presignGet(key: string, expiresSeconds?: number): Promise<string>;
  /**
   * Writes an object to a local file without holding it in memory; large objects come in parallel ranged GETs.
   * With `etag`, every request is conditional on it, so an object replaced mid-download fails instead of mixing.
   */
  download(key: string, file: string, expected: { size: number; etag?: string | null }): Promise<void>;
  /** Uploads a local file without holding it in memory (multipart for large files). */
  upload(key: string, file: string, contentType: string): Promise<void>;
}
