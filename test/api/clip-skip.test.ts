/**
 * `override_settings: {"CLIP_stop_at_last_layers": n}` through the API on the real engine (docs/api.md): SD 1.x
 * models encode with the n-th hidden state from the end (a derived text encoder; docs/engine.md "Clip skip"), the
 * infotext says `Clip skip: n` (docs/a1111-semantics.md §4.1 item 20), and 1 leaves the image as it was. SD 2.x models
 * ignore the setting as A1111's OpenCLIP encoder does, yet the infotext still records it, as A1111's does.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPngText } from "../../lib/a1111/images/png-text.ts";
import { MODEL_PRESETS, writeModel } from "../../lib/engine/model-builder/index.ts";
import type { Services } from "../../lib/platform/runtime/services.ts";
import { apiClient } from "../fixtures/api.ts";
import { pixelsOf, tinyModelDir } from "../fixtures/engine.ts";
import { testServices } from "../fixtures/services.ts";

const TXT2IMG = "/sdapi/v1/txt2img";
const REQUEST = { prompt: "a photo of a cat", seed: 11, steps: 3, width: 64, height: 64, cfg_scale: 5 };

let root: string;
const opened: Services[] = [];

function client(modelDir: string) {
  const services = testServices({ SERENA_BACKEND: "local", SERENA_MODEL_DIR: modelDir, SERENA_CACHE_DIR: join(root, "cache") });
  opened.push(services);
  return apiClient(services);
}

async function generate(api: ReturnType<typeof client>, settings: Record<string, unknown>) {
  const reply = await api.post(TXT2IMG, { ...REQUEST, override_settings: settings });
  expect(reply.status, reply.text.slice(0, 400)).toBe(200);
  const body = reply.json() as { images: string[]; info: string };
  return { image: body.images[0]!, infotext: readPngText(Buffer.from(body.images[0]!, "base64")).parameters!, info: JSON.parse(body.info) as { clip_skip: number } };
}

let sd15: ReturnType<typeof client>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "api-clip-skip-"));
  const dir = join(root, "sd15-tiny");
  await writeModel(dir, MODEL_PRESETS["sd15-tiny"], {});
  sd15 = client(dir);
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.backend.close?.()));
  await rm(root, { recursive: true, force: true });
});

describe("CLIP_stop_at_last_layers on an SD 1.x model", () => {
  it("2 changes the image and is written to the infotext and info; 1 gives the bytes of a request without it", async () => {
    const plain = await generate(sd15, {});
    const one = await generate(sd15, { CLIP_stop_at_last_layers: 1 });
    const two = await generate(sd15, { CLIP_stop_at_last_layers: 2 });
    expect(one.image).toBe(plain.image);
    expect(plain.infotext).not.toContain("Clip skip");
    expect(two.image).not.toBe(plain.image);
    expect(two.infotext).toMatch(/, Clip skip: 2, /);
    expect(two.info.clip_skip).toBe(2);
    // The same request again: the derived text encoder is reused and the bytes repeat.
    expect((await generate(sd15, { CLIP_stop_at_last_layers: 2 })).image).toBe(two.image);
  });

  it("beyond the text encoder's layers + 1 is a 422 naming the setting", async () => {
    const reply = await sd15.post(TXT2IMG, { ...REQUEST, override_settings: { CLIP_stop_at_last_layers: 4 } });
    expect(reply.status).toBe(422);
    expect(reply.text).toContain("CLIP_stop_at_last_layers");
    expect(reply.text).toContain("clip skip 4");
  });
});

describe("CLIP_stop_at_last_layers elsewhere", () => {
  it("an SD 2.x model ignores it (A1111's OpenCLIP encoder does) but the infotext records it", async () => {
    const sd2 = client(await tinyModelDir("sd2-optimum-1.23"));
    const one = await generate(sd2, {});
    const two = await generate(sd2, { CLIP_stop_at_last_layers: 2 });
    expect(two.infotext).toContain("Clip skip: 2");
    const pixels = async (b64: string) => (await pixelsOf(Buffer.from(b64, "base64"))).data;
    expect((await pixels(two.image)).equals(await pixels(one.image))).toBe(true);
  });

  it("a text encoder without transformer layers (the tiny test model) answers 422 naming the setting", async () => {
    const reply = await client(await tinyModelDir("sd1-diffusers")).post(TXT2IMG, { ...REQUEST, override_settings: { CLIP_stop_at_last_layers: 2 } });
    expect(reply.status).toBe(422);
    expect(reply.text).toContain("CLIP_stop_at_last_layers");
  });
});
