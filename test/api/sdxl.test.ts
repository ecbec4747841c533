/**
 * SDXL through the HTTP API with the local backend and the real engine: a models root holding an SD 1.x export and
 * two SDXL exports built independently with the same optimum IO names (the tiny-model generator's `sdxl-optimum`
 * and model-builder's `sdxl-tiny` preset, which has the real UNet2DConditionModel / CLIPTextModelWithProjection
 * structure). `/sdapi/v1/sd-models` lists them side by side and `POST /options {"sd_model_checkpoint": …}` switches
 * between them, as A1111 does with checkpoints of both kinds.
 */
import { mkdtemp, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPngText } from "../../lib/a1111/images/png-text.ts";
import { MODEL_PRESETS, writeModel } from "../../lib/engine/model-builder/index.ts";
import type { Services } from "../../lib/platform/runtime/services.ts";
import { apiClient, type ApiClient } from "../fixtures/api.ts";
import { pixelSpread, pixelsOf, TEST_CACHE_DIR, tinyModelDir } from "../fixtures/engine.ts";
import { testServices } from "../fixtures/services.ts";

let services: Services;
let client: ApiClient;

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), "serena-sdxl-models-"));
  await symlink(await tinyModelDir("sd1-optimum-1.24"), join(root, "sd1-optimum-1.24"));
  await symlink(await tinyModelDir("sdxl-optimum"), join(root, "sdxl-optimum"));
  await symlink(await tinyModelDir("sdxl-refiner-optimum"), join(root, "sdxl-refiner-optimum"));
  await writeModel(join(root, "sdxl-tiny"), MODEL_PRESETS["sdxl-tiny"], { withoutVaeEncoder: true });
  services = testServices({ SERENA_BACKEND: "local", SERENA_MODELS_ROOT: root, SERENA_CACHE_DIR: TEST_CACHE_DIR });
  client = apiClient(services);
}, 120_000);

afterAll(async () => {
  await services?.backend.close?.();
});

async function txt2img(body: Record<string, unknown>) {
  const reply = await client.post("/sdapi/v1/txt2img", { prompt: "a lighthouse", negative_prompt: "fog", seed: 7, steps: 2, ...body });
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
  const png = Buffer.from((reply.json() as { images: string[] }).images[0]!, "base64");
  return { png, infotext: readPngText(png).parameters! };
}

async function select(checkpoint: string) {
  const reply = await client.post("/sdapi/v1/options", { sd_model_checkpoint: checkpoint });
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
}

describe("SDXL checkpoints beside SD 1.x", () => {
  it("are listed by /sd-models with A1111's titles", async () => {
    const reply = await client.get("/sdapi/v1/sd-models");
    expect(reply.status).toBe(200);
    const models = reply.json() as { title: string; model_name: string }[];
    expect(models.map((m) => m.model_name)).toEqual(["sd1-optimum-1.24", "sdxl-optimum", "sdxl-refiner-optimum", "sdxl-tiny"]);
    for (const model of models) expect(model.title).toMatch(new RegExp(`^${model.model_name} \\[[0-9a-f]{10}\\]$`));
  });

  it("switch with sd_model_checkpoint, and generate 1024x1024 and 832x1216 PNGs with A1111's infotext", async () => {
    await select("sdxl-optimum");
    expect((await client.get("/sdapi/v1/options")).json().sd_model_checkpoint).toMatch(/^sdxl-optimum \[[0-9a-f]{10}\]$/);
    for (const [width, height] of [
      [1024, 1024],
      [832, 1216],
    ] as const) {
      const { png, infotext } = await txt2img({ width, height });
      expect(await pixelsOf(png)).toMatchObject({ width, height });
      expect(await pixelSpread(png)).toBeGreaterThan(5);
      expect(infotext).toMatch(new RegExp(`^a lighthouse\\nNegative prompt: fog\\nSteps: 2, .*Size: ${width}x${height}, Model hash: [0-9a-f]{10}, Model: sdxl-optimum,`));
    }

    await select("sd1-optimum-1.24");
    expect((await txt2img({ width: 64, height: 64 })).infotext).toContain("Model: sd1-optimum-1.24,");
  }, 120_000);

  it("give the same bytes for the same request, and other bytes for another prompt, size or crop", async () => {
    await select("sdxl-optimum");
    const request = { width: 256, height: 256 };
    const first = await txt2img(request);
    expect((await txt2img(request)).png.equals(first.png)).toBe(true);
    expect((await txt2img({ ...request, prompt: "a harbour" })).png.equals(first.png)).toBe(false);
    expect((await txt2img({ ...request, negative_prompt: "" })).png.equals(first.png)).toBe(false);
    const wider = await txt2img({ width: 320, height: 256 });
    expect((await pixelsOf(wider.png)).width).toBe(320);
    expect((await txt2img({ ...request, override_settings: { sdxl_crop_top: 32 } })).png.equals(first.png)).toBe(false);
  }, 120_000);

  it("run the export with the real SDXL module structure (model-builder's sdxl-tiny) through the same path", async () => {
    await select("sdxl-tiny");
    const { png, infotext } = await txt2img({ width: 128, height: 128 });
    expect(await pixelSpread(png)).toBeGreaterThan(1);
    expect(infotext).toContain("Model: sdxl-tiny,");
  }, 120_000);

  it("refine with refiner_checkpoint and refiner_switch_at: 0.8, and say so in the infotext", async () => {
    await select("sdxl-optimum");
    const plain = await txt2img({ width: 256, height: 256, steps: 6 });
    const refined = await txt2img({ width: 256, height: 256, steps: 6, refiner_checkpoint: "sdxl-refiner-optimum", refiner_switch_at: 0.8 });
    expect(refined.infotext).toMatch(/, Model: sdxl-optimum, Refiner: sdxl-refiner-optimum \[[0-9a-f]{10}\], Refiner switch at: 0\.8, /);
    expect(refined.png.equals(plain.png)).toBe(false);
    // The refiner by its title, as /sd-models lists it, is the same checkpoint.
    const title = ((await client.get("/sdapi/v1/sd-models")).json() as { title: string; model_name: string }[]).find((m) => m.model_name === "sdxl-refiner-optimum")!.title;
    const byTitle = await txt2img({ width: 256, height: 256, steps: 6, refiner_checkpoint: title, refiner_switch_at: 0.8 });
    expect(byTitle.png.equals(refined.png)).toBe(true);
  }, 120_000);

  it("refuse an unknown refiner checkpoint with a 422 naming the field", async () => {
    const reply = await client.post("/sdapi/v1/txt2img", { prompt: "a lighthouse", steps: 2, width: 64, height: 64, refiner_checkpoint: "sd_xl_refiner_1.0" });
    expect(reply.status).toBe(422);
    expect(reply.json().detail[0].loc).toEqual(["body", "refiner_checkpoint"]);
  });
});
