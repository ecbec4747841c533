import { stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listExternalData } from "../../../lib/engine/model/external-data.ts";
import { ensureTinyModel } from "../../../lib/engine/tiny-model/index.ts";

const cache = join(tmpdir(), "serena-tiny-models");

describe("listExternalData reads the external data references of a model.onnx", () => {
  // docs/engine-reference.md §1.4: diffusers script / Olive → weights.pb; optimum → model.onnx_data; small models stay inline.
  it.each([
    ["sd1-diffusers", "weights.pb"],
    ["sd1-diffusers-fp16", "weights.pb"],
    ["sd2-optimum-1.23", "model.onnx_data"],
    ["sd1-optimum-1.24", "model.onnx_data"],
  ] as const)("%s: unet/model.onnx reads all of unet/%s", async (variant, file) => {
    const dir = await ensureTinyModel(cache, variant);
    const size = (await stat(join(dir, "unet", file))).size;
    expect(await listExternalData(join(dir, "unet/model.onnx"))).toEqual([{ location: file, requiredBytes: size }]);
  });

  it.each(["text_encoder", "vae_decoder", "vae_encoder"])("%s/model.onnx keeps its weights inline", async (component) => {
    const dir = await ensureTinyModel(cache, "sd1-diffusers");
    expect(await listExternalData(join(dir, component, "model.onnx"))).toEqual([]);
  });

  it("a UNet with inline weights (optimum < 1.23 tiny export) names no file", async () => {
    const dir = await ensureTinyModel(cache, "sd1-optimum-1.22");
    expect(await listExternalData(join(dir, "unet/model.onnx"))).toEqual([]);
  });
});
