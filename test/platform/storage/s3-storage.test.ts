/**
 * ObjectStorage over the AWS SDK against a real S3-compatible server (fauxqs, started by test/setup/s3-server.ts):
 * the operations Serena uses, presigned URLs fetched over HTTP, and large transfers in parts and ranges.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/platform/config.ts";
import { createS3Client, createStorage } from "../../../lib/platform/storage/s3-storage.ts";
import { createTestBucket, type TestBucket } from "../../setup/s3.ts";

const MiB = 1024 * 1024;
let bucket: TestBucket;
let tmp: string;

beforeAll(async () => {
  // S3 refuses multipart parts under 5 MiB except the last, so these are the smallest sizes that still split.
  bucket = await createTestBucket({ multipartThreshold: 6 * MiB, partSize: 5 * MiB, rangedThreshold: MiB, rangeSize: MiB, concurrency: 3 });
  tmp = await mkdtemp(path.join(os.tmpdir(), "serena-s3-"));
});

const md5 = (b: Buffer) => createHash("md5").update(b).digest("hex");

describe("configuration", () => {
  it("has no storage without a bucket", () => {
    expect(createStorage(parseConfig({}).storage)).toBeNull();
  });

  it("uses path-style URLs and computes checksums only when required with an endpoint override (docs/serverless.md §5)", async () => {
    const client = createS3Client({ endpoint: "http://127.0.0.1:9", region: "us-east-1" });
    expect(client.config.forcePathStyle).toBe(true);
    expect(await client.config.requestChecksumCalculation()).toBe("WHEN_REQUIRED");
    expect(await client.config.responseChecksumValidation()).toBe("WHEN_REQUIRED");
  });
});

describe("objects", () => {
  it("puts, gets, lists in key order, checks and deletes", async () => {
    const { storage } = bucket;
    await storage.put("objects/b.txt", "bee", "text/plain");
    await storage.put("objects/a.bin", Buffer.from([1, 2, 3]), "application/octet-stream");
    await storage.putJson("objects/c.json", { x: [1, "two"] });
    expect((await storage.get("objects/b.txt"))!.toString()).toBe("bee");
    expect([...(await storage.get("objects/a.bin"))!]).toEqual([1, 2, 3]);
    expect(await storage.getJson("objects/c.json")).toEqual({ x: [1, "two"] });
    expect(await storage.list("objects/")).toEqual(["objects/a.bin", "objects/b.txt", "objects/c.json"]);
    const listed = await storage.listObjects("objects/");
    // A single-part upload's ETag is the MD5 of its bytes (S3 API reference, "Common Response Headers").
    expect(listed[1]).toEqual({ key: "objects/b.txt", size: 3, etag: md5(Buffer.from("bee")) });
    expect(await storage.exists("objects/a.bin")).toBe(true);
    await storage.delete("objects/a.bin");
    expect(await storage.exists("objects/a.bin")).toBe(false);
    expect(await storage.get("objects/a.bin")).toBeNull();
    expect(await storage.getJson("objects/none.json")).toBeNull();
  });

  it("gives presigned GET URLs that plain HTTP clients can fetch", async () => {
    const png = randomBytes(2048);
    await bucket.storage.put("objects/shared.png", png, "image/png");
    const url = await bucket.storage.presignGet("objects/shared.png");
    expect(url).toContain("X-Amz-Signature=");
    expect(url).toContain(`X-Amz-Expires=${bucket.settings.presignExpiresSeconds}`);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    expect(await bucket.storage.presignGet("objects/shared.png", 60)).toContain("X-Amz-Expires=60");
  });
});

describe("large files", () => {
  it("uploads above the threshold in parts and downloads above the threshold in ranges, byte for byte", async () => {
    const bytes = randomBytes(11 * MiB + 123);
    const source = path.join(tmp, "big.bin");
    await writeFile(source, bytes);
    await bucket.storage.upload("large/big.bin", source, "application/octet-stream");
    const [object] = await bucket.storage.listObjects("large/big.bin");
    // A multipart ETag is "<md5 of the part MD5s>-<part count>": 11 MiB in 5 MiB parts is 3 parts.
    expect(object!.etag).toMatch(/^[0-9a-f]{32}-3$/);
    expect(object!.size).toBe(bytes.length);
    const copy = path.join(tmp, "big-copy.bin");
    await bucket.storage.download("large/big.bin", copy, { size: object!.size, etag: object!.etag });
    expect((await readFile(copy)).equals(bytes)).toBe(true);
  });

  it("uploads a small file whole and downloads it in one request", async () => {
    const source = path.join(tmp, "small.json");
    await writeFile(source, '{"a":1}');
    await bucket.storage.upload("large/small.json", source, "application/json");
    const [object] = await bucket.storage.listObjects("large/small.json");
    expect(object!.etag).toBe(md5(Buffer.from('{"a":1}')));
    const copy = path.join(tmp, "small-copy.json");
    await bucket.storage.download("large/small.json", copy, { size: object!.size, etag: object!.etag });
    expect(await readFile(copy, "utf8")).toBe('{"a":1}');
  });

  it("refuses a download whose object changed since it was listed (If-Match)", async () => {
    await bucket.storage.put("large/changing.bin", randomBytes(3 * MiB), "application/octet-stream");
    const [before] = await bucket.storage.listObjects("large/changing.bin");
    await bucket.storage.put("large/changing.bin", randomBytes(3 * MiB), "application/octet-stream");
    const download = bucket.storage.download("large/changing.bin", path.join(tmp, "changing.bin"), { size: before!.size, etag: before!.etag });
    // S3 answers 412 PreconditionFailed to a GET whose If-Match names another ETag (GetObject API reference).
    await expect(download).rejects.toMatchObject({ name: "PreconditionFailed", $metadata: { httpStatusCode: 412 } });
  });
});
