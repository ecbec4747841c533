/**
 * SERENA_LORA_DIR and SERENA_EMBEDDINGS_DIR (lib/platform/config.ts): A1111's `--lora-dir` (default models/Lora) and
 * `--embeddings-dir` (default embeddings/), here by default inside SERENA_MODELS_ROOT, else beside SERENA_MODEL_DIR.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../lib/platform/config.ts";

describe("the LoRA and embeddings folders", () => {
  it("are Lora/ and embeddings/ inside SERENA_MODELS_ROOT by default", () => {
    expect(parseConfig({ SERENA_MODELS_ROOT: "/srv/models" }).networks).toEqual({
      loraDir: path.join("/srv/models", "Lora"),
      embeddingsDir: path.join("/srv/models", "embeddings"),
    });
  });

  it("sit beside SERENA_MODEL_DIR without a models root", () => {
    expect(parseConfig({ SERENA_MODEL_DIR: "/srv/models/sd15" }).networks).toEqual({
      loraDir: path.join("/srv/models", "Lora"),
      embeddingsDir: path.join("/srv/models", "embeddings"),
    });
  });

  it("are what SERENA_LORA_DIR and SERENA_EMBEDDINGS_DIR say, which networksSet records", () => {
    const config = parseConfig({ SERENA_MODELS_ROOT: "/srv/models", SERENA_LORA_DIR: "/data/loras", SERENA_EMBEDDINGS_DIR: "/data/ti" });
    expect(config.networks).toEqual({ loraDir: "/data/loras", embeddingsDir: "/data/ti" });
    expect(config.networksSet).toEqual({ loraDir: "/data/loras", embeddingsDir: "/data/ti" });
    expect(parseConfig({ SERENA_MODELS_ROOT: "/srv/models" }).networksSet).toEqual({ loraDir: null, embeddingsDir: null });
  });

  it("are none without any model folder setting (the generated tiny model)", () => {
    expect(parseConfig({}).networks).toEqual({ loraDir: null, embeddingsDir: null });
  });
});
