/**
 * vitest globalSetup: one fauxqs S3 emulator (npm, in-process, no Docker) for the whole run, on a free port. Tests
 * read its address with `inject("s3Endpoint")` and make their own bucket (s3.ts), so files running in parallel
 * never share objects. fauxqs was chosen over s3rver because it accepts the SDK's default checksummed uploads
 * (docs/serverless.md §5); the storage client still sets the settings that s3rver needs.
 */
import { startFauxqs } from "fauxqs";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    s3Endpoint: string;
  }
}

export default async function setup(project: TestProject) {
  const server = await startFauxqs({ port: 0, logger: false, host: "127.0.0.1" });
  project.provide("s3Endpoint", server.address);
  return async () => {
    await server.stop();
  };
}
