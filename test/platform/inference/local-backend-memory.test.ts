/**
 * onnxruntime's CPU arena keeps the buffers of the largest job a session ran; after a job that left the process more
 * than 300 MB above its size right after the load, the local backend's worker reopens the VAE's sessions and, when
 * that is not enough, reloads the model (lib/platform/inference/local/worker.ts), so a server that once made a large
 * image does not stay that large.
 */
import { describe, expect, it, vi } from "vitest";
import { createLocalBackend } from "../../../lib/platform/inference/local/local-backend.ts";
import { createLogger } from "../../../lib/platform/runtime/logger.ts";
import { TEST_CACHE_DIR, tinyModelDir, txt2imgJob } from "../../fixtures/engine.ts";

const logger = createLogger({ logLevel: "silent" });
const info = vi.spyOn(logger, "info");

const loads = () => info.mock.calls.filter(([message]) => message === "model loaded").length;
const releases = () =>
  info.mock.calls.filter(([message]) => message === "memory released").map(([, fields]) => fields as { by: "vae" | "model"; fromMb: number; toMb: number });

describe("memory after a large job", () => {
  it("is returned by reopening the VAE, whose full-resolution buffers it was, and the next job runs", async () => {
    const modelDir = await tinyModelDir();
    // Closed before the next test: its idle release must not land among that test's log lines.
    const backend = createLocalBackend({ modelDir, modelsRoot: null, cacheDir: TEST_CACHE_DIR, ortThreads: 0 }, { logger });
    try {
      const small = txt2imgJob({ prompt: "a cat", seed: 1, steps: 2, width: 64, height: 64 });
      await backend.generate(small);
      await backend.generate(small);
      expect(releases()).toEqual([]);
      // 1536² on the tiny model: a small UNet call, a VAE decode whose buffers take hundreds of MB.
      await backend.generate(txt2imgJob({ prompt: "a large cat", seed: 2, steps: 1, width: 1536, height: 1536 }));
      const after = await backend.generate(small);
      expect(after.images).toHaveLength(1);
      // The release's log line comes from the worker thread after the large job's result.
      await vi.waitFor(() => expect(releases().length).toBeGreaterThanOrEqual(1), { timeout: 20_000 });
      const [released] = releases();
      expect(released!.by).toBe("vae");
      expect(released!.fromMb - released!.toMb).toBeGreaterThan(200);
      expect(loads()).toBe(1);
    } finally {
      await backend.close?.();
    }
  });
});

describe("memory after a pause", () => {
  it("is returned from a model its jobs grew by more than 64 MB, once the worker has been idle a while", async () => {
    const modelDir = await tinyModelDir();
    info.mockClear();
    const idleBackend = createLocalBackend({ modelDir, modelsRoot: null, cacheDir: TEST_CACHE_DIR, ortThreads: 0 }, { logger });
    try {
      // 768² on the tiny model grows its arenas by more than the idle allowance and less than the 300 MB one.
      await idleBackend.generate(txt2imgJob({ prompt: "a cat", seed: 1, steps: 1, width: 768, height: 768 }));
      expect(releases()).toEqual([]);
      await vi.waitFor(() => expect(releases()).toHaveLength(1), { timeout: 30_000, interval: 250 });
      const [released] = releases();
      expect(released!.toMb).toBeLessThan(released!.fromMb);
      // Reloaded when reopening the VAE was not enough.
      expect(loads()).toBe(released!.by === "model" ? 2 : 1);
      const after = await idleBackend.generate(txt2imgJob({ prompt: "a cat", seed: 1, steps: 1, width: 64, height: 64 }));
      expect(after.images).toHaveLength(1);
    } finally {
      await idleBackend.close?.();
    }
  }, 60_000);
});

describe("without the idle release (the Lambda worker)", () => {
  it("keeps the grown model loaded through the pause", async () => {
    const modelDir = await tinyModelDir();
    info.mockClear();
    const lambdaLike = createLocalBackend({ modelDir, modelsRoot: null, cacheDir: TEST_CACHE_DIR, ortThreads: 0 }, { logger, idleRelease: false });
    try {
      await lambdaLike.generate(txt2imgJob({ prompt: "a cat", seed: 1, steps: 1, width: 768, height: 768 }));
      const loaded = info.mock.calls.find(([message]) => message === "model loaded")![1] as { ms: number };
      // Longer than the pause after which the worker would reload (10 load times, at least 5 s).
      await new Promise((resolve) => setTimeout(resolve, Math.max(5_000, 10 * loaded.ms) + 2_000));
      expect(releases()).toEqual([]);
      expect(loads()).toBe(1);
    } finally {
      await lambdaLike.close?.();
    }
  }, 60_000);
});
