/**
 * /sdapi/v1/options and override_settings (docs/a1111-semantics.md §2.2 field 28, §9.1, §9.2): every setting readable, valid
 * changes stored, bad ones refused with 422 (A1111: 500), overrides applied for one request only.
 */
import { describe, expect, it } from "vitest";
import { readUserComment } from "../../lib/a1111/images/exif-user-comment.ts";
import { readPngText } from "../../lib/a1111/images/png-text.ts";
import { Options, optionShape } from "../../lib/a1111/schemas/options.ts";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { describeImage } from "../fixtures/images.ts";
import { ciServices } from "../fixtures/services.ts";

const OPTIONS = "/sdapi/v1/options";
const small = { prompt: "a cat", seed: 21, width: 64, height: 64 };

describe("GET /sdapi/v1/options", () => {
  it("returns every setting with A1111's defaults for the ones clients read (§9.1)", async () => {
    const reply = await apiClient(ciServices()).get(OPTIONS);
    const options = Options.parse(reply.json());
    expect(Object.keys(reply.json()).sort()).toEqual(Object.keys(optionShape).sort());
    expect(options).toMatchObject({
      sd_vae: "Automatic",
      CLIP_stop_at_last_layers: 1,
      samples_format: "png",
      eta_noise_seed_delta: 0,
      randn_source: "GPU",
      jpeg_quality: 80,
      enable_pnginfo: true,
      img2img_fix_steps: false,
      emphasis: "Original",
      comma_padding_backtrack: 20,
      show_progress_every_n_steps: 10,
      live_previews_enable: true,
    });
  });
});

describe("POST /sdapi/v1/options", () => {
  it("stores valid values, with lax coercion, and answers null", async () => {
    const client = apiClient(ciServices());
    const reply = await client.post(OPTIONS, { samples_format: "jpg", CLIP_stop_at_last_layers: "2", enable_pnginfo: "false" });
    expect(reply.status).toBe(200);
    expect(reply.json()).toBeNull();
    expect((await client.get(OPTIONS)).json()).toMatchObject({ samples_format: "jpg", CLIP_stop_at_last_layers: 2, enable_pnginfo: false });
  });

  it("accepts back what GET returned (clients read, change one key and post all of them)", async () => {
    const client = apiClient(ciServices());
    const current = (await client.get(OPTIONS)).json() as Record<string, unknown>;
    const reply = await client.post(OPTIONS, { ...current, samples_format: "webp" });
    expect(reply.status, reply.text).toBe(200);
    expect((await client.get(OPTIONS)).json()).toEqual({ ...current, samples_format: "webp" });
  });

  it("keeps settings per services instance (one warm function)", async () => {
    const a = apiClient(ciServices());
    await a.post(OPTIONS, { jpeg_quality: 50 });
    expect((await apiClient(ciServices()).get(OPTIONS)).json().jpeg_quality).toBe(80);
  });

  it("ignores restrict_api settings, as A1111 does (§9.1)", async () => {
    const client = apiClient(ciServices());
    expect((await client.post(OPTIONS, { api_enable_requests: false, api_useragent: "x" })).status).toBe(200);
    expect((await client.get(OPTIONS)).json()).toMatchObject({ api_enable_requests: true, api_useragent: "" });
  });

  it("refuses an unknown key with 422 naming it, and stores nothing from that request", async () => {
    const client = apiClient(ciServices());
    const reply = await client.post(OPTIONS, { jpeg_quality: 60, not_a_setting: 1 });
    expectCleanError(reply, 422);
    expect(reply.json().detail).toEqual([{ loc: ["body", "not_a_setting"], msg: "unknown option 'not_a_setting'", type: "value_error" }]);
    expect((await client.get(OPTIONS)).json().jpeg_quality).toBe(80);
  });

  it.each([
    ["jpeg_quality", 1000, "value_error.number.not_le"],
    ["jpeg_quality", "high", "type_error.integer"],
    ["samples_format", "bmp", "type_error.enum"],
    ["enable_pnginfo", "perhaps", "type_error.bool"],
  ])("refuses %s = %j with 422 (%s)", async (key, value, type) => {
    const reply = await apiClient(ciServices()).post(OPTIONS, { [key]: value });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0]).toMatchObject({ loc: ["body", key], type });
  });

  it("refuses a checkpoint that /sd-models does not list (A1111: 500 RuntimeError, §9.2)", async () => {
    const reply = await apiClient(ciServices()).post(OPTIONS, { sd_model_checkpoint: "v1-5-pruned-emaonly.safetensors" });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "sd_model_checkpoint"]);
    expect(reply.json().detail[0].msg).toContain("model 'v1-5-pruned-emaonly.safetensors' not found");
  });

  it.each([
    ["tiling", true],
    ["sd_vae", "vae-ft-mse-840000-ema-pruned.safetensors"],
    ["token_merging_ratio", 0.5],
    ["enable_batch_seeds", false],
    ["sd_noise_schedule", "Zero Terminal SNR"],
  ])("refuses %s = %j, a setting whose part Serena does not have, with 422 naming it", async (key, value) => {
    const client = apiClient(ciServices());
    const reply = await client.post(OPTIONS, { jpeg_quality: 60, [key]: value });
    expectCleanError(reply, 422);
    expect(reply.json().detail).toEqual([expect.objectContaining({ loc: ["body", key], type: "value_error.unsupported" })]);
    expect(reply.json().detail[0].msg).toContain(`${key}=${JSON.stringify(value)} is not supported`);
    expect((await client.get(OPTIONS)).json().jpeg_quality).toBe(80);
  });

  it("accepts the off values of those settings (A1111 clients post them back)", async () => {
    const reply = await apiClient(ciServices()).post(OPTIONS, { sd_vae: "None", sd_unet: "Automatic", tiling: false, token_merging_ratio: 0 });
    expect(reply.status, reply.text).toBe(200);
  });

  it("a body that is not an object is refused", async () => {
    expectCleanError(await apiClient(ciServices()).post(OPTIONS, [1]), 422);
  });
});

describe("override_settings (§2.2 field 28)", () => {
  it("samples_format jpg gives a JPEG whose EXIF UserComment holds the infotext (§2.5)", async () => {
    const client = apiClient(ciServices());
    const reply = await client.post("/sdapi/v1/txt2img", { ...small, override_settings: { samples_format: "jpg" } });
    const { images, info } = reply.json() as { images: string[]; info: string };
    const { format, exif, width } = await describeImage(images[0]!);
    expect(format).toBe("jpeg");
    expect(width).toBe(64);
    expect(readUserComment(exif!)).toBe((JSON.parse(info) as { infotexts: string[] }).infotexts[0]);
  });

  it("writes the UserComment as piexif does: 'UNICODE\\0' then UTF-16-BE (§2.5)", async () => {
    const reply = await apiClient(ciServices()).post("/sdapi/v1/txt2img", { ...small, override_settings: { samples_format: "jpeg" } });
    const jpeg = Buffer.from((reply.json() as { images: string[] }).images[0]!, "base64");
    const marker = Buffer.concat([Buffer.from("UNICODE\0", "latin1"), Buffer.from("a cat", "utf16le").swap16()]);
    expect(jpeg.includes(marker)).toBe(true);
  });

  it("webp carries the infotext in EXIF too", async () => {
    const reply = await apiClient(ciServices()).post("/sdapi/v1/txt2img", { ...small, override_settings: { samples_format: "webp" } });
    const { format, exif } = await describeImage((reply.json() as { images: string[] }).images[0]!);
    expect(format).toBe("webp");
    expect(readUserComment(exif!)).toContain("Seed: 21");
  });

  it("applies to one request only", async () => {
    const client = apiClient(ciServices());
    await client.post("/sdapi/v1/txt2img", { ...small, override_settings: { samples_format: "jpg" } });
    const next = await client.post("/sdapi/v1/txt2img", small);
    expect((await describeImage((next.json() as { images: string[] }).images[0]!)).format).toBe("png");
    expect((await client.get(OPTIONS)).json().samples_format).toBe("png");
  });

  it("changes the infotext where the setting appears there (Clip skip, RNG, ENSD)", async () => {
    const reply = await apiClient(ciServices()).post("/sdapi/v1/txt2img", {
      ...small,
      sampler_name: "Euler a",
      override_settings: { CLIP_stop_at_last_layers: 2, randn_source: "CPU", eta_noise_seed_delta: 31337 },
    });
    const info = JSON.parse((reply.json() as { info: string }).info) as { clip_skip: number; infotexts: string[] };
    expect(info.clip_skip).toBe(2);
    // §4.1 order: … Clip skip, ENSD, … RNG; ENSD only for samplers that use it (§6.5).
    expect(info.infotexts[0]).toMatch(/Clip skip: 2, ENSD: 31337, RNG: CPU, /);
  });

  it("enable_pnginfo false leaves the PNG without a parameters chunk", async () => {
    const reply = await apiClient(ciServices()).post("/sdapi/v1/txt2img", { ...small, override_settings: { enable_pnginfo: false } });
    expect(readPngText(Buffer.from((reply.json() as { images: string[] }).images[0]!, "base64"))).toEqual({});
  });

  it("refuses a bad value with 422 naming the setting", async () => {
    const reply = await apiClient(ciServices()).post("/sdapi/v1/txt2img", { ...small, override_settings: { jpeg_quality: 0 } });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0]).toMatchObject({ loc: ["body", "override_settings", "jpeg_quality"], type: "value_error.number.not_ge" });
  });

  it("refuses a value for a setting whose part Serena does not have, naming it", async () => {
    const reply = await apiClient(ciServices()).post("/sdapi/v1/txt2img", { ...small, override_settings: { img2img_extra_noise: 0.3 } });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0]).toMatchObject({ loc: ["body", "override_settings", "img2img_extra_noise"], type: "value_error.unsupported" });
  });

  it("ignores settings Serena does not have (extensions' settings)", async () => {
    const reply = await apiClient(ciServices()).post("/sdapi/v1/txt2img", { ...small, override_settings: { control_net_max_models_num: 3 } });
    expect(reply.status).toBe(200);
  });

  it("resolves sd_model_checkpoint against the backend's models", async () => {
    const client = apiClient(ciServices());
    const ok = await client.post("/sdapi/v1/txt2img", { ...small, override_settings: { sd_model_checkpoint: "serena-ci-fake" } });
    expect(ok.status).toBe(200);
    const bad = await client.post("/sdapi/v1/txt2img", { ...small, override_settings: { sd_model_checkpoint: "nope" } });
    expectCleanError(bad, 422);
    expect(bad.json().detail[0].loc).toEqual(["body", "override_settings", "sd_model_checkpoint"]);
  });
});
