/**
 * `/sdapi/v1/unload-checkpoint` and `/reload-checkpoint` on the local backend with the real engine (a generated tiny
 * model): unloading ends the inference worker thread, which holds the onnxruntime sessions and weights, once queued
 * generations are done; reloading loads the selected checkpoint again; generation works throughout and gives the
 * same image for the same request.
 */
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Services } from "../../lib/platform/runtime/services.ts";
import { apiClient, type ApiClient } from "../fixtures/api.ts";
import { TEST_CACHE_DIR, tinyModelDir } from "../fixtures/engine.ts";
import { testServices } from "../fixtures/services.ts";

const REQUEST = { prompt: "a cat", seed: 5, steps: 2, width: 64, height: 64 };

let services: Services;
let client: ApiClient;

beforeAll(async () => {
  services = testServices({ SERENA_BACKEND: "local", SERENA_MODEL_DIR: await tinyModelDir(), SERENA_CACHE_DIR: TEST_CACHE_DIR });
  client = apiClient(services);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await services.backend.close?.();
});

const image = async () => {
  const reply = await client.post("/sdapi/v1/txt2img", REQUEST);
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
  return (reply.json() as { images: string[] }).images[0]!;
};

describe("checkpoint unload and reload with the local backend", () => {
  it("reload loads the model, unload ends the worker, and images stay the same", async () => {
    const terminate = vi.spyOn(Worker.prototype, "terminate");
    const reload = await client.post("/sdapi/v1/reload-checkpoint");
    expect(reload.status, reload.text).toBe(200);
    expect(reload.json()).toEqual({});
    const before = await image();

    const unload = await client.post("/sdapi/v1/unload-checkpoint");
    expect(unload.status).toBe(200);
    expect(unload.json()).toEqual({});
    expect(terminate).toHaveBeenCalledTimes(1);
    // A second unload has no worker left to end.
    expect((await client.post("/sdapi/v1/unload-checkpoint")).status).toBe(200);
    expect(terminate).toHaveBeenCalledTimes(1);

    // The next generation starts a fresh worker and loads the model again.
    expect(await image()).toBe(before);
    expect((await client.post("/sdapi/v1/reload-checkpoint")).status).toBe(200);
    expect(await image()).toBe(before);
  });

  it("an unload sent while a generation is queued or running waits its turn: both succeed", async () => {
    const before = await image();
    const [generated, unload] = await Promise.all([image(), client.post("/sdapi/v1/unload-checkpoint")]);
    expect(unload.status).toBe(200);
    expect(generated).toBe(before);
    expect(await image()).toBe(before);
  });
});
