/**
 * ObjectStorage over `@aws-sdk/client-s3`. With an endpoint override (a local S3-compatible server in tests and
 * development) the client uses path-style URLs and computes checksums only when an operation requires them:
 * s3rver otherwise stores streamed uploads with their aws-chunked framing (docs/serverless.md §5), and fauxqs
 * accepts both.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createWriteStream } from "node:fs";
import { open, readFile, stat, type FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Config } from "../config.ts";
import { mapConcurrent } from "./concurrency.ts";
import type { ObjectStorage, StoredObject } from "./object-storage.ts";

export type StorageSettings = Pick<Config["storage"], "bucket" | "endpoint" | "region" | "presignExpiresSeconds">;

/**
 * Sizes for large transfers. Uploads use the AWS CLI's defaults (multipart above 8 MiB, 8 MiB parts: S3 needs parts
 * of at least 5 MiB but the last, and allows 10,000 of them, so files up to 80 GB), which also keep every request
 * under the 11 MiB body limit of fauxqs, the local S3 server of docs/deploying.md.
 */
export interface TransferOptions {
  /** Files above this are uploaded in parts of `partSize`. */
  multipartThreshold: number;
  partSize: number;
  /** Objects above this are downloaded in ranges of `rangeSize`. */
  rangedThreshold: number;
  rangeSize: number;
  /** Parts or ranges in flight at once. */
  concurrency: number;
}

const MiB = 1024 * 1024;
export const DEFAULT_TRANSFER: TransferOptions = {
  multipartThreshold: 8 * MiB,
  partSize: 8 * MiB,
  rangedThreshold: 64 * MiB,
  rangeSize: 16 * MiB,
  concurrency: 8,
};

export function createS3Client(settings: Pick<StorageSettings, "endpoint" | "region">): S3Client {
  if (!settings.endpoint) return new S3Client({ region: settings.region });
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

const isNotFound = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata?.httpStatusCode === 404;
};

const unquote = (etag: string | undefined) => (etag ? etag.replace(/^"|"$/g, "") : null);

async function writeFully(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done, position + done)).bytesWritten;
}

async function readFully(fh: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await fh.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) throw new Error(`file ended at byte ${position + done}; it changed during the upload`);
    done += bytesRead;
  }
}

function offsets(size: number, step: number): number[] {
  const starts: number[] = [];
  for (let start = 0; start < size; start += step) starts.push(start);
  return starts;
}

/** Storage for `settings.bucket`, or null when no bucket is configured. */
export function createStorage(
  settings: StorageSettings,
  options: { client?: S3Client; transfer?: Partial<TransferOptions> } = {},
): ObjectStorage | null {
  if (!settings.bucket) return null;
  const Bucket: string = settings.bucket;
  const client = options.client ?? createS3Client(settings);
  const transfer = { ...DEFAULT_TRANSFER, ...options.transfer };

  async function get(key: string): Promise<Buffer | null> {
    try {
      const res = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async function put(key: string, body: Buffer | string, contentType: string): Promise<void> {
    await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async function listObjects(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) objects.push({ key: o.Key!, size: o.Size ?? 0, etag: unquote(o.ETag) });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async function uploadInParts(key: string, file: string, size: number, contentType: string): Promise<void> {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType }));
    try {
      const fh = await open(file, "r");
      try {
        const Parts = await mapConcurrent(offsets(size, transfer.partSize), transfer.concurrency, async (start, i) => {
          const part = Buffer.allocUnsafe(Math.min(transfer.partSize, size - start));
          await readFully(fh, part, start);
          const res = await client.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: i + 1, Body: part }));
          return { PartNumber: i + 1, ETag: res.ETag };
        });
        await client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts } }));
      } finally {
        await fh.close();
      }
    } catch (error) {
      await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  async function downloadInRanges(key: string, file: string, size: number, IfMatch: string | undefined): Promise<void> {
    const fh = await open(file, "w");
    try {
      await fh.truncate(size);
      await mapConcurrent(offsets(size, transfer.rangeSize), transfer.concurrency, async (start) => {
        const end = Math.min(size, start + transfer.rangeSize) - 1;
        const res = await client.send(new GetObjectCommand({ Bucket, Key: key, Range: `bytes=${start}-${end}`, IfMatch }));
        const bytes = await res.Body!.transformToByteArray();
        if (bytes.length !== end - start + 1) throw new Error(`${key}: range ${start}-${end} returned ${bytes.length} bytes`);
        await writeFully(fh, bytes, start);
      });
    } finally {
      await fh.close();
    }
  }

  return {
    bucket: Bucket,
    put,
    get,
    async getJson<T>(key: string): Promise<T | null> {
      const body = await get(key);
      return body === null ? null : (JSON.parse(body.toString("utf8")) as T);
    },
    putJson: (key, value) => put(key, JSON.stringify(value), "application/json"),
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
    list: async (prefix) => (await listObjects(prefix)).map((o) => o.key),
    listObjects,
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    presignGet: (key, expiresSeconds = settings.presignExpiresSeconds) =>
      getSignedUrl(client, new GetObjectCommand({ Bucket, Key: key }), { expiresIn: expiresSeconds }),
    async download(key, file, expected) {
      const IfMatch = expected.etag ? `"${expected.etag}"` : undefined;
      if (expected.size > transfer.rangedThreshold) return downloadInRanges(key, file, expected.size, IfMatch);
      const res = await client.send(new GetObjectCommand({ Bucket, Key: key, IfMatch }));
      await pipeline(res.Body as Readable, createWriteStream(file));
    },
    async upload(key, file, contentType) {
      const { size } = await stat(file);
      // Small files go up as one buffer, which the SDK can retry; large ones in parts, never whole in memory.
      if (size <= transfer.multipartThreshold) return put(key, await readFile(file), contentType);
      return uploadInParts(key, file, size, contentType);
    },
  };
}
