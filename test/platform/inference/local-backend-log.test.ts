/**
 * The local backend logs each model load once, from the main thread (lib/platform/inference/local/local-backend.ts):
 * how long the worker thread took to load it, the bytes of its folder, and the request id of the generation that
 * caused it.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { withRequestId } from "../../../lib/platform/http/request-id.ts";
import { createLocalBackend } from "../../../lib/platform/inference/local/local-backend.ts";
import { createLogger } from "../../../lib/platform/runtime/logger.ts";
import { TEST_CACHE_DIR, tinyModelDir, txt2imgJob } from "../../fixtures/engine.ts";

const logger = createLogger({ logLevel: "silent" });
const info = vi.spyOn(logger, "info");
let backend: ReturnType<typeof createLocalBackend> | undefined;
afterAll(async () => {
  await backend?.close?.();
});

describe("a model load", () => {
  it("is logged once, with its milliseconds, the folder's bytes and the request id", async () => {
    const modelDir = await tinyModelDir();
    backend = createLocalBackend({ modelDir, modelsRoot: null, cacheDir: TEST_CACHE_DIR, ortThreads: 0 }, { logger });
    const job = txt2imgJob({ prompt: "a cat", seed: 1, steps: 2, width: 64, height: 64 });
    await withRequestId("load-1", () => backend!.generate(job));
    await withRequestId("load-2", () => backend!.generate(job));
    const loads = info.mock.calls.filter(([message]) => message === "model loaded");
    expect(loads).toHaveLength(1);
    const fields = loads[0]![1] as Record<string, unknown>;
    expect(fields).toMatchObject({ requestId: "load-1", model: "sd1-diffusers", dir: modelDir });
    expect(fields.ms).toBeTypeOf("number");
    expect(fields.bytes as number).toBeGreaterThan(1_000_000);
  });
});
