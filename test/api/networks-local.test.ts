/**
 * LoRA and embedding folders through the API with the local backend (worker thread, real engine on an sd15-tiny
 * export): `/sdapi/v1/loras`, `/refresh-loras`, `/embeddings`, `/refresh-embeddings` in A1111's shapes (Lora
 * extension lora_script.py `api_networks`/`refresh_loras`; modules/api/api.py `get_embeddings`/`refresh_embeddings`),
 * and `<lora:…>` tags and embedding names in txt2img prompts, with their 422s.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODEL_PRESETS, writeModel } from "../../lib/engine/model-builder/index.ts";
import type { Services } from "../../lib/platform/runtime/services.ts";
import { apiClient, type ApiClient } from "../fixtures/api.ts";
import { encodeSafetensors } from "../fixtures/safetensors.ts";
import { testServices } from "../fixtures/services.ts";

const HIDDEN = MODEL_PRESETS["sd15-tiny"].textEncoder.hidden_size;
const REQUEST = { seed: 3, steps: 2, width: 64, height: 64, sampler_name: "Euler" };

let root: string;
let loraDir: string;
let embeddingsDir: string;
let services: Services;
let client: ApiClient;

const ramp = (n: number, scale: number) => Array.from({ length: n }, (_, i) => (((i * 7) % 13) - 6) * scale);

/** A kohya LoRA on one UNet attention projection of the sd15-tiny model (32 wide). */
const loraBytes = (metadata?: Record<string, string>) =>
  encodeSafetensors(
    {
      "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight": { dtype: "F16", shape: [2, 32], values: ramp(64, 1 / 32) },
      "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight": { dtype: "F16", shape: [32, 2], values: ramp(64, 1 / 16) },
      "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha": { dtype: "F16", shape: [], values: [2] },
    },
    metadata,
  );

const embeddingBytes = (vectors: number, width: number) =>
  encodeSafetensors({ emb_params: { dtype: "F32", shape: [vectors, width], values: ramp(vectors * width, 0.01) } });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "serena-networks-api-"));
  const modelsRoot = join(root, "models");
  await writeModel(join(modelsRoot, "tiny15"), MODEL_PRESETS["sd15-tiny"], { withoutVaeEncoder: true });
  // The defaults: Lora/ and embeddings/ inside SERENA_MODELS_ROOT (lib/platform/config.ts).
  loraDir = join(modelsRoot, "Lora");
  embeddingsDir = join(modelsRoot, "embeddings");
  await mkdir(join(loraDir, "sub"), { recursive: true });
  await mkdir(embeddingsDir, { recursive: true });
  await writeFile(join(loraDir, "sub", "detail.safetensors"), loraBytes({ ss_output_name: "detailer", ss_network_dim: "2", ss_tag_frequency: '{"a": {"b": 1}}' }));
  await writeFile(join(loraDir, "old.pt"), Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x01, 0, 0, 0, 0x61, 0x4e, 0x73, 0x2e, 0x2e, 0x2e]));
  await writeFile(join(embeddingsDir, "glow.safetensors"), embeddingBytes(2, HIDDEN));
  await writeFile(join(embeddingsDir, "wide.safetensors"), embeddingBytes(1, 768));
  services = testServices({ SERENA_BACKEND: "local", SERENA_MODELS_ROOT: modelsRoot, SERENA_CACHE_DIR: join(root, "cache") });
  client = apiClient(services);
}, 120_000);

afterAll(async () => {
  await services.backend.close?.();
  await rm(root, { recursive: true, force: true });
});

describe("/sdapi/v1/loras and /refresh-loras", () => {
  it("lists every file with name, alias (ss_output_name), path and the header's metadata, JSON values decoded", async () => {
    const reply = await client.get("/sdapi/v1/loras");
    expect(reply.status, reply.text).toBe(200);
    const list = reply.json() as { name: string; alias: string; path: string; metadata: Record<string, unknown> }[];
    expect(list.map((l) => l.name)).toEqual(["old", "detail"]);
    const detail = list.find((l) => l.name === "detail")!;
    expect(detail).toEqual({
      name: "detail",
      alias: "detailer",
      path: join(loraDir, "sub", "detail.safetensors"),
      metadata: { ss_output_name: "detailer", ss_network_dim: "2", ss_tag_frequency: { a: { b: 1 } } },
    });
    expect(list.find((l) => l.name === "old")).toMatchObject({ alias: "old", metadata: {} });
  });

  it("lists a file added later once refreshed, without a restart", async () => {
    await writeFile(join(loraDir, "later.safetensors"), loraBytes());
    const refresh = await client.post("/sdapi/v1/refresh-loras");
    expect(refresh.status).toBe(200);
    expect(refresh.json()).toBeNull();
    const names = ((await client.get("/sdapi/v1/loras")).json() as { name: string }[]).map((l) => l.name);
    expect(names).toContain("later");
  });
});

describe("<lora:…> in txt2img", () => {
  it("applies a LoRA named by its alias and records Lora hashes; the image differs from the prompt without it", async () => {
    const [plain, tagged] = await Promise.all([
      client.post("/sdapi/v1/txt2img", { ...REQUEST, prompt: "a cat" }),
      client.post("/sdapi/v1/txt2img", { ...REQUEST, prompt: "a cat <lora:detailer:1>" }),
    ]);
    expect(tagged.status, tagged.text.slice(0, 300)).toBe(200);
    const body = tagged.json() as { images: string[]; info: string };
    expect(JSON.parse(body.info).infotexts[0]).toMatch(/Lora hashes: "detailer: [0-9a-f]{12}"/);
    expect(body.images[0]).not.toBe((plain.json() as { images: string[] }).images[0]);
  });

  it.each([
    ["a LoRA that does not exist", "<lora:absent:1>", "absent"],
    ["a pickle", "<lora:old:1>", "old.pt"],
  ])("%s is a 422 naming it", async (_what, tag, named) => {
    const reply = await client.post("/sdapi/v1/txt2img", { ...REQUEST, prompt: `a cat ${tag}` });
    expect(reply.status).toBe(422);
    expect(reply.text).toContain(named);
  });
});

describe("/sdapi/v1/embeddings and /refresh-embeddings", () => {
  it("lists loaded and skipped embeddings with A1111's fields", async () => {
    const reply = await client.get("/sdapi/v1/embeddings");
    expect(reply.status, reply.text).toBe(200);
    expect(reply.json()).toEqual({
      loaded: { glow: { step: null, sd_checkpoint: null, sd_checkpoint_name: null, shape: HIDDEN, vectors: 2 } },
      skipped: { wide: { step: null, sd_checkpoint: null, sd_checkpoint_name: null, shape: 768, vectors: 1 } },
    });
  });

  it("lists an embedding added later once refreshed, and a prompt naming it records TI hashes", async () => {
    await writeFile(join(embeddingsDir, "spark.safetensors"), embeddingBytes(1, HIDDEN));
    const refresh = await client.post("/sdapi/v1/refresh-embeddings");
    expect(refresh.status).toBe(200);
    expect(refresh.json()).toBeNull();
    const listed = (await client.get("/sdapi/v1/embeddings")).json() as { loaded: Record<string, unknown> };
    expect(Object.keys(listed.loaded)).toEqual(["glow", "spark"]);
    const reply = await client.post("/sdapi/v1/txt2img", { ...REQUEST, prompt: "a spark cat" });
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    expect(JSON.parse((reply.json() as { info: string }).info).infotexts[0]).toMatch(/TI hashes: "spark: [0-9a-f]{12}"/);
  });
});
