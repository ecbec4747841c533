/**
 * The real path end to end at handler level, the CI fake switched off: API Gateway events → middy stack → local
 * backend (engine in a worker thread) → A1111 response. Also model selection through SERENA_MODEL_DIR,
 * SERENA_MODELS_ROOT and POST /options.
 */
import { mkdtemp, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPngText } from "../../../lib/a1111/images/png-text.ts";
import type { Services } from "../../../lib/platform/runtime/services.ts";
import { GenerationResponse } from "../../../lib/a1111/schemas/generation-response.ts";
import { apiClient } from "../../fixtures/api.ts";
import { gradientDataUri, pixelsOf, TEST_CACHE_DIR, tinyModelDir } from "../../fixtures/engine.ts";
import { testServices } from "../../fixtures/services.ts";

const opened: Services[] = [];
function localServices(env: Record<string, string> = {}) {
  const services = testServices({ SERENA_BACKEND: "local", SERENA_CACHE_DIR: TEST_CACHE_DIR, ...env });
  opened.push(services);
  return services;
}
afterAll(async () => {
  await Promise.all(opened.map((s) => s.backend.close?.()));
});

const body = { prompt: "a red fox", seed: 42, steps: 8, width: 128, height: 128, sampler_name: "DPM++ 2M", scheduler: "Karras" };

describe("txt2img and img2img through the handlers with CI unset", () => {
  it("answers with real images and no fake header", async () => {
    const api = apiClient(localServices());
    const reply = await api.post("/sdapi/v1/txt2img", body);
    expect(reply.status).toBe(200);
    expect(reply.headers["x-serena-fake-inference"]).toBeUndefined();
    const response = GenerationResponse.parse(reply.json());
    const png = Buffer.from(response.images[0]!, "base64");
    expect(readPngText(png).parameters).toMatch(/Steps: 8, Sampler: DPM\+\+ 2M, Schedule type: Karras, .*Seed: 42, Size: 128x128/);
    const again = GenerationResponse.parse((await api.post("/sdapi/v1/txt2img", body)).json());
    expect(again.images[0]).toBe(response.images[0]);
    const other = GenerationResponse.parse((await api.post("/sdapi/v1/txt2img", { ...body, seed: 43 })).json());
    expect(other.images[0]).not.toBe(response.images[0]);
  });

  it("runs img2img from a data URI over a REST (v1) event", async () => {
    const api = apiClient(localServices(), { version: "v1" });
    const reply = await api.post("/sdapi/v1/img2img", { ...body, init_images: [await gradientDataUri(100, 80)], denoising_strength: 0.5 });
    expect(reply.status).toBe(200);
    const response = GenerationResponse.parse(reply.json());
    const { width, height } = await pixelsOf(Buffer.from(response.images[0]!, "base64"));
    expect([width, height]).toEqual([128, 128]);
    expect(JSON.parse(response.info).denoising_strength).toBe(0.5);
  });

  it("turns engine refusals into 422s naming the field", async () => {
    const api = apiClient(localServices());
    const reply = await api.post("/sdapi/v1/txt2img", { ...body, override_settings: { CLIP_stop_at_last_layers: 2 } });
    expect(reply.status).toBe(422);
    expect(reply.json().detail[0].loc).toEqual(["body", "override_settings", "CLIP_stop_at_last_layers"]);
  });
});

describe("model folders", () => {
  it("SERENA_MODEL_DIR serves another exporter variant without code changes", async () => {
    const dir = await tinyModelDir("sd1-optimum-1.24");
    const api = apiClient(localServices({ SERENA_MODEL_DIR: dir }));
    const models = (await api.get("/sdapi/v1/sd-models")).json();
    expect(models).toHaveLength(1);
    expect(models[0].model_name).toBe("sd1-optimum-1.24");
    const response = GenerationResponse.parse((await api.post("/sdapi/v1/txt2img", body)).json());
    expect(JSON.parse(response.info).sd_model_name).toBe("sd1-optimum-1.24");
  });

  it("SERENA_MODELS_ROOT lists every folder and POST /options switches between them", async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), "serena-models-"));
    await symlink(await tinyModelDir("sd1-diffusers"), path.join(root, "alpha"));
    await symlink(await tinyModelDir("sd2-optimum-1.23"), path.join(root, "beta"));
    const api = apiClient(localServices({ SERENA_MODELS_ROOT: root }));
    const models = (await api.get("/sdapi/v1/sd-models")).json() as Array<{ title: string; model_name: string }>;
    expect(models.map((m) => m.model_name)).toEqual(["alpha", "beta"]);
    expect((await api.get("/sdapi/v1/options")).json().sd_model_checkpoint).toBe(models[0]!.title);

    expect((await api.post("/sdapi/v1/options", { sd_model_checkpoint: "beta" })).status).toBe(200);
    expect((await api.get("/sdapi/v1/options")).json().sd_model_checkpoint).toBe(models[1]!.title);
    const info = JSON.parse(GenerationResponse.parse((await api.post("/sdapi/v1/txt2img", body)).json()).info);
    expect(info.sd_model_name).toBe("beta");
  });
});
