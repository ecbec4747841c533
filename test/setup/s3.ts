/**
 * A fresh bucket on the run's S3 emulator (s3-server.ts) for one test file, with the environment that points
 * Serena's configuration at it. The SDK needs credentials to sign; the emulator accepts any.
 */
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { parseConfig } from "../../lib/platform/config.ts";
import type { ObjectStorage } from "../../lib/platform/storage/object-storage.ts";
import { createS3Client, createStorage, type TransferOptions } from "../../lib/platform/storage/s3-storage.ts";

process.env.AWS_ACCESS_KEY_ID ??= "serena-test";
process.env.AWS_SECRET_ACCESS_KEY ??= "serena-test";

export interface TestBucket {
  name: string;
  /** SERENA_* variables for parseConfig. */
  env: Record<string, string>;
  storage: ObjectStorage;
  settings: ReturnType<typeof parseConfig>["storage"];
}

export async function createTestBucket(transfer: Partial<TransferOptions> = {}): Promise<TestBucket> {
  const name = `serena-test-${randomUUID().slice(0, 8)}`;
  const env = { SERENA_BUCKET: name, SERENA_S3_ENDPOINT: inject("s3Endpoint"), SERENA_S3_REGION: "us-east-1" };
  const settings = parseConfig(env).storage;
  await createS3Client(settings).send(new CreateBucketCommand({ Bucket: name }));
  return { name, env, storage: createStorage(settings, { transfer })!, settings };
}
