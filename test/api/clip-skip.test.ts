/**
 * `override_settings: {"CLIP_stop_at_last_layers": n}` through the API on the real engine (docs/api.md): SD 1.x
 * models encode with the n-th hidden state from the end (a derived text encoder; docs/engine.md "Clip skip"), the
 * infotext says `Clip skip: n` (docs/a1111-semantics.md §4.1 item 20), and 1 leaves the image as it was. SD 2.x models
 * ignore the setting as A1111's OpenCLIP encoder does, yet the infotext still records it, as A1111's does.
 * Through POST /options: a value the model cannot serve is a 422 there and nothing is stored; a stored value that the
 * model chosen later cannot serve is lowered to what it serves (with a warning), never a failure of later requests.
 */
import { mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
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

/** A local-engine server for one model folder, or (`"models root"`) for every model folder in `dir`. */
function client(dir: string, as: "model" | "models root" = "model") {
  const models: Record<string, string> = as === "models root" ? { SERENA_MODELS_ROOT: dir } : { SERENA_MODEL_DIR: dir };
  const services = testServices({ SERENA_BACKEND: "local", ...models, SERENA_CACHE_DIR: join(root, "cache") });
  opened.push(services);
  return apiClient(services);
}

async function generate(api: ReturnType<typeof client>, settings: Record<string, unknown>) {
  const reply = await api.post(TXT2IMG, { ...REQUEST, override_settings: settings });
  expect(reply.status, reply.text.slice(0, 400)).toBe(200);
  const body = reply.json() as { images: string[]; info: string; warnings?: string[] };
  return {
    image: body.images[0]!,
    infotext: readPngText(Buffer.from(body.images[0]!, "base64")).parameters!,
    info: JSON.parse(body.info) as { clip_skip: number; sd_model_name: string },
    warnings: body.warnings ?? [],
  };
}

async function storedClipSkip(api: ReturnType<typeof client>): Promise<number> {
  return (((await api.get("/sdapi/v1/options")).json()) as { CLIP_stop_at_last_layers: number }).CLIP_stop_at_last_layers;
}

let sd15: ReturnType<typeof client>;
/** sd15-tiny's folder: a text encoder of 2 layers, so clip skip 3 at most. */
let sd15Dir: string;
/** A folder of two models: sd1-diffusers (the default tiny model, no clip skip) and sd15-tiny. */
let modelsRoot: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "api-clip-skip-"));
  modelsRoot = join(root, "models");
  await mkdir(modelsRoot);
  sd15Dir = join(modelsRoot, "sd15-tiny");
  await writeModel(sd15Dir, MODEL_PRESETS["sd15-tiny"], {});
  await symlink(await tinyModelDir("sd1-diffusers"), join(modelsRoot, "sd1-diffusers"));
  sd15 = client(sd15Dir);
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

describe("CLIP_stop_at_last_layers through POST /sdapi/v1/options", () => {
  it("a value the model serves is stored and applied to later generations, which record it", async () => {
    const api = client(sd15Dir);
    const plain = await generate(api, {});
    expect((await api.post("/sdapi/v1/options", { CLIP_stop_at_last_layers: 2 })).status).toBe(200);
    expect(await storedClipSkip(api)).toBe(2);
    const stored = await generate(api, {});
    expect(stored.infotext).toMatch(/, Clip skip: 2, /);
    expect(stored.info.clip_skip).toBe(2);
    expect(stored.warnings).toEqual([]);
    expect(stored.image).not.toBe(plain.image);
    // The same as sending it per request.
    expect(stored.image).toBe((await generate(sd15, { CLIP_stop_at_last_layers: 2 })).image);
  });

  it("a value beyond what the model serves is a 422 naming it with the reason, and nothing is stored", async () => {
    const api = client(sd15Dir);
    const reply = await api.post("/sdapi/v1/options", { CLIP_stop_at_last_layers: 4, samples_format: "jpg" });
    expect(reply.status, reply.text).toBe(422);
    expect(reply.json()).toEqual({
      detail: [{ loc: ["body", "CLIP_stop_at_last_layers"], msg: "clip skip 4: sd15-tiny's text encoder has 2 layers (clip skip 3 at most)", type: "value_error" }],
    });
    const options = (await api.get("/sdapi/v1/options")).json() as { CLIP_stop_at_last_layers: number; samples_format: string };
    expect([options.CLIP_stop_at_last_layers, options.samples_format]).toEqual([1, "png"]);
  });

  it("on a text encoder that serves none (the default tiny model): 422 at POST, and generations still run", async () => {
    const api = client(await tinyModelDir("sd1-diffusers"));
    const reply = await api.post("/sdapi/v1/options", { CLIP_stop_at_last_layers: 2 });
    expect(reply.status, reply.text).toBe(422);
    const detail = (reply.json() as { detail: { loc: string[]; msg: string }[] }).detail;
    expect(detail.map((d) => d.loc)).toEqual([["body", "CLIP_stop_at_last_layers"]]);
    expect(detail[0]!.msg).toMatch(/^clip skip 2: sd1-diffusers's text encoder cannot serve clip skip/);
    expect(await storedClipSkip(api)).toBe(1);
    const after = await generate(api, {});
    expect(after.infotext).not.toContain("Clip skip");
    expect(after.warnings).toEqual([]);
  });

  it("checks the value against the checkpoint posted with it (loaded for the question, as A1111 loads a checkpoint set)", async () => {
    const api = client(modelsRoot, "models root");
    const deeper = await api.post("/sdapi/v1/options", { sd_model_checkpoint: "sd15-tiny", CLIP_stop_at_last_layers: 4 });
    expect(deeper.status, deeper.text).toBe(422);
    expect(deeper.text).toContain("clip skip 4: sd15-tiny's text encoder has 2 layers");
    expect((await api.post("/sdapi/v1/options", { sd_model_checkpoint: "sd15-tiny", CLIP_stop_at_last_layers: 3 })).status).toBe(200);
    // sd15-tiny is loaded now; the question about sd1-diffusers loads that one.
    const refused = await api.post("/sdapi/v1/options", { sd_model_checkpoint: "sd1-diffusers", CLIP_stop_at_last_layers: 2 });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.text).toContain("clip skip 2: sd1-diffusers's text encoder cannot serve clip skip");
    const options = (await api.get("/sdapi/v1/options")).json() as { CLIP_stop_at_last_layers: number; sd_model_checkpoint: string };
    expect([options.CLIP_stop_at_last_layers, options.sd_model_checkpoint.split(" ")[0]]).toEqual([3, "sd15-tiny"]);
  });

  it("a stored value that the model chosen later cannot serve is lowered to what it serves, with a warning; sent per request it is a 422", async () => {
    const api = client(modelsRoot, "models root");
    expect((await api.post("/sdapi/v1/options", { sd_model_checkpoint: "sd15-tiny", CLIP_stop_at_last_layers: 3 })).status).toBe(200);
    expect((await generate(api, {})).infotext).toMatch(/, Clip skip: 3, /);
    // Another checkpoint: the stored 3 stays, as A1111 keeps it, and is not checked again when posted back unchanged.
    expect((await api.post("/sdapi/v1/options", { sd_model_checkpoint: "sd1-diffusers" })).status).toBe(200);
    expect((await api.post("/sdapi/v1/options", { CLIP_stop_at_last_layers: 3 })).status).toBe(200);
    const lowered = await generate(api, {});
    expect(lowered.info.sd_model_name).toBe("sd1-diffusers");
    expect(lowered.infotext).not.toContain("Clip skip");
    expect(lowered.info.clip_skip).toBe(1);
    expect(lowered.warnings).toHaveLength(1);
    expect(lowered.warnings[0]).toMatch(/^the stored setting CLIP_stop_at_last_layers=3 is more than this model serves \(sd1-diffusers's text encoder cannot serve clip skip/);
    expect(lowered.warnings[0]).toContain("clip skip 1 was used");
    const sent = await api.post(TXT2IMG, { ...REQUEST, override_settings: { CLIP_stop_at_last_layers: 2 } });
    expect(sent.status).toBe(422);
    expect((sent.json() as { detail: { loc: string[] }[] }).detail[0]!.loc).toEqual(["body", "override_settings", "CLIP_stop_at_last_layers"]);
    // An async job that sends it is refused at submission, not accepted and failed later.
    const job = await api.post("/serena/v1/jobs", { type: "txt2img", request: { ...REQUEST, override_settings: { CLIP_stop_at_last_layers: 2 } } });
    expect(job.status, job.text).toBe(422);
    expect(job.text).toContain("CLIP_stop_at_last_layers");
  });
});
