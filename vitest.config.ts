import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // An S3 emulator for the whole run (test/setup/s3-server.ts); tests that need S3 make their own bucket on it.
    globalSetup: ["test/setup/s3-server.ts"],
    // onnxruntime-node and sharp are native addons: separate processes are the safe pool for them.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { SERENA_LOG_LEVEL: "silent" },
    coverage: {
      provider: "v8",
      include: ["functions/**/*.ts", "lib/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
      thresholds: { lines: 90 },
    },
  },
});
