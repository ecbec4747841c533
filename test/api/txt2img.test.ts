/**
 * txt2img through the CI fake (docs/architecture.md): the response honours A1111's contract (docs/a1111-semantics.md §2.4, §2.5, §4.1,
 * §11), the fake says it is fake, and without CI the route answers 503 instead of pretending.
 */
import { describe, expect, it } from "vitest";
import { GENERATION_INFO_KEYS, GenerationInfo } from "../../lib/a1111/schemas/generation-response.ts";
import { readPngText } from "../../lib/a1111/images/png-text.ts";
import { HTTPErrorBody } from "../../lib/a1111/schemas/errors.ts";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { describeImage } from "../fixtures/images.ts";
import { ciServices, testServices } from "../fixtures/services.ts";

const TXT2IMG = "/sdapi/v1/txt2img";

/** `Processed.js()` keys in order (docs/a1111-semantics.md §2.4). */
const A1111_INFO_KEYS = [
  "prompt", "all_prompts", "negative_prompt", "all_negative_prompts", "seed", "all_seeds", "subseed", "all_subseeds",
  "subseed_strength", "width", "height", "sampler_name", "cfg_scale", "steps", "batch_size", "restore_faces",
  "face_restoration_model", "sd_model_name", "sd_model_hash", "sd_vae_name", "sd_vae_hash", "seed_resize_from_w",
  "seed_resize_from_h", "denoising_strength", "extra_generation_params", "index_of_first_image", "infotexts", "styles",
  "job_timestamp", "clip_skip", "is_using_inpainting_conditioning", "version",
];

const client = apiClient(ciServices());

async function txt2img(body: unknown) {
  const reply = await client.post(TXT2IMG, body);
  expect(reply.status, reply.text.slice(0, 400)).toBe(200);
  const json = reply.json() as { images: string[]; parameters: Record<string, unknown>; info: string };
  return { reply, ...json, info: JSON.parse(json.info) as GenerationInfo, infoText: json.info };
}

const infotextOf = (b64: string) => readPngText(Buffer.from(b64, "base64")).parameters;

describe("a batch through the CI fake", () => {
  const request = { prompt: "a cat", seed: 7, batch_size: 2, n_iter: 2, width: 320, height: 256 };

  it("returns batch_size × n_iter PNGs at the requested size", async () => {
    const { images } = await txt2img(request);
    expect(images).toHaveLength(4);
    for (const image of images) {
      // Bare base64 without a data: prefix (docs/a1111-semantics.md §2.5).
      expect(image).not.toMatch(/^data:/);
      expect(await describeImage(image)).toMatchObject({ format: "png", width: 320, height: 256 });
    }
  });

  it("answers with info as a JSON string holding A1111's 32 keys in A1111's order", async () => {
    const { info, infoText } = await txt2img(request);
    expect(GENERATION_INFO_KEYS).toEqual(A1111_INFO_KEYS);
    expect(Object.keys(info)).toEqual(A1111_INFO_KEYS);
    expect(GenerationInfo.safeParse(info).success).toBe(true);
    // Python's json.dumps separators (docs/a1111-semantics.md §2.4).
    expect(infoText.startsWith('{"prompt": "a cat", "all_prompts": [')).toBe(true);
  });

  it("gives image i the seed seed+i and echoes the request's seed in parameters (§6.2, §11 item 4)", async () => {
    const { info, parameters, images } = await txt2img(request);
    expect(info.seed).toBe(7);
    expect(info.all_seeds).toEqual([7, 8, 9, 10]);
    expect(info.all_subseeds).toHaveLength(4);
    expect(parameters.seed).toBe(7);
    expect(info.infotexts).toHaveLength(4);
    images.forEach((image, i) => {
      const text = infotextOf(image);
      expect(text).toContain(`Seed: ${7 + i},`);
      expect(text).toBe(info.infotexts[i]);
    });
  });

  it("says it is fake: header, model name and an infotext entry", async () => {
    const { reply, info } = await txt2img(request);
    expect(reply.headers["x-serena-fake-inference"]).toMatch(/^true/);
    expect(info.sd_model_name).toBe("serena-ci-fake");
    expect(info.infotexts[0]).toContain("CI fake");
  });

  it("answers the same request with the same bytes", async () => {
    const a = await client.post(TXT2IMG, request);
    const b = await client.post(TXT2IMG, request);
    expect(a.text).toBe(b.text);
  });

  it("draws different images for different seeds", async () => {
    const a = await txt2img({ ...request, batch_size: 1, n_iter: 1 });
    const b = await txt2img({ ...request, batch_size: 1, n_iter: 1, seed: 8 });
    expect(a.images[0]).not.toBe(b.images[0]);
  });

  it("returns no images but full info when send_images is false", async () => {
    const { images, info } = await txt2img({ ...request, send_images: false });
    expect(images).toEqual([]);
    expect(info.all_seeds).toEqual([7, 8, 9, 10]);
  });

  it("outputs the multiple of 8 below the requested size and reports the request's size in info (§2.2, §2.4)", async () => {
    const { images, info } = await txt2img({ prompt: "a cat", seed: 1, width: 100, height: 70 });
    expect(await describeImage(images[0]!)).toMatchObject({ width: 96, height: 64 });
    expect([info.width, info.height]).toEqual([100, 70]);
  });

  it("returns hires fix's target size and records the hires fields, as the engine does", async () => {
    const { images, info } = await txt2img({ seed: 1, width: 128, height: 96, enable_hr: true, hr_scale: 2 });
    expect(await describeImage(images[0]!)).toMatchObject({ width: 256, height: 192 });
    expect(info.width).toBe(128);
    expect(info.infotexts[0]).toContain("Size: 128x96");
    expect(info.infotexts[0]).toContain("Denoising strength: 0.7, Hires upscale: 2.0");
  });

  it("keeps seeds equal across the batch when subseed_strength is set (§11 item 4)", async () => {
    const { info } = await txt2img({ prompt: "a cat", seed: 5, subseed: 100, subseed_strength: 0.5, batch_size: 3, width: 64, height: 64 });
    expect(info.all_seeds).toEqual([5, 5, 5]);
    expect(info.all_subseeds).toEqual([100, 101, 102]);
    expect(info.infotexts[1]).toContain("Variation seed: 101, Variation seed strength: 0.5");
  });

  it("writes a non-ASCII prompt verbatim in the infotext and \\u-escaped in info (§2.4, §2.5)", async () => {
    const { images, infoText } = await txt2img({ prompt: "ein Kätzchen 猫", seed: 3, width: 64, height: 64 });
    expect(infoText).toContain('"prompt": "ein K\\u00e4tzchen \\u732b"');
    expect(infotextOf(images[0]!)!.startsWith("ein Kätzchen 猫\n")).toBe(true);
  });
});

describe("A1111 defaults for an empty body (§11 items 1, 3, 5)", () => {
  it("samples 512×512 with 50 steps of Euler at CFG 7.0 and a random seed", async () => {
    const { images, info, parameters } = await txt2img({});
    expect(info.infotexts[0]).toMatch(/^Steps: 50, Sampler: Euler, Schedule type: Automatic, CFG scale: 7\.0, Seed: \d+, Size: 512x512,/);
    expect(await describeImage(images[0]!)).toMatchObject({ width: 512, height: 512 });
    expect(info.seed).toBeGreaterThanOrEqual(0);
    // parameters is the request after defaults, not the resolved values (§2.4).
    expect(parameters).toMatchObject({ seed: -1, sampler_name: null, sampler_index: "Euler", steps: 50, cfg_scale: 7, send_images: true });
  });

  it("leaves denoising_strength null in info for txt2img without hires fix (§2.2 field 22)", async () => {
    const { info, parameters } = await txt2img({ prompt: "x", seed: 1, width: 64, height: 64 });
    expect(info.denoising_strength).toBeNull();
    expect(parameters.denoising_strength).toBeNull();
  });
});

describe("pydantic v1's lax coercion (§2.1)", () => {
  it.each([
    ["numeric strings to ints", { steps: "20" }, /^Steps: 20,/],
    ["floats truncated for int fields", { steps: 20.7 }, /^Steps: 20,/],
    ["ints to Python floats", { cfg_scale: 5 }, /CFG scale: 5\.0,/],
    ["numeric strings to floats", { cfg_scale: "4.5" }, /CFG scale: 4\.5,/],
  ])("coerces %s", async (_name, fields, expected) => {
    const { info } = await txt2img({ seed: 1, width: 64, height: 64, ...fields });
    expect(info.infotexts[0]).toMatch(expected);
  });

  it("accepts 'true'/'false' and 0/1 for bools", async () => {
    expect((await txt2img({ seed: 1, width: 64, height: 64, send_images: "false" })).images).toEqual([]);
    expect((await txt2img({ seed: 1, width: 64, height: 64, send_images: "true" })).images).toHaveLength(1);
    expect((await txt2img({ seed: 1, width: 64, height: 64, send_images: 0 })).images).toEqual([]);
  });

  it("turns numbers into strings for str fields", async () => {
    const { info } = await txt2img({ prompt: 42, seed: 1, width: 64, height: 64 });
    expect(info.prompt).toBe("42");
  });

  it("ignores unknown keys and leaves them out of parameters", async () => {
    const { parameters } = await txt2img({ prompt: "a cat", seed: 1, width: 64, height: 64, not_a_field: 1 });
    expect(parameters).not.toHaveProperty("not_a_field");
    expect(parameters.prompt).toBe("a cat");
  });
});

describe("non-Optional fields reject null (§2.1, §11 item 2)", () => {
  it.each(["send_images", "sampler_index"])("%s: null is 422 'none is not an allowed value'", async (field) => {
    const reply = await client.post(TXT2IMG, { [field]: null });
    expectCleanError(reply, 422);
    expect(reply.json().detail).toEqual([
      { loc: ["body", field], msg: "none is not an allowed value", type: "type_error.none.not_allowed" },
    ]);
  });

  it("Optional fields accept null as their default", async () => {
    const { info } = await txt2img({ seed: 1, width: 64, height: 64, sampler_name: null, scheduler: null, eta: null, styles: null });
    expect(info.sampler_name).toBe("Euler");
  });
});

describe("features Serena does not have are refused, in CI exactly as in production", () => {
  it.each([
    ["tiling", { tiling: true }],
    ["restore_faces", { restore_faces: true }],
    ["refiner_checkpoint", { refiner_checkpoint: "sd_xl_refiner_1.0" }],
  ])("%s", async (field, fields) => {
    const reply = await client.post(TXT2IMG, { seed: 1, width: 64, height: 64, ...fields });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", field]);
  });

  it("but their A1111 defaults pass", async () => {
    const { info } = await txt2img({ seed: 1, width: 64, height: 64, tiling: false, restore_faces: false, refiner_checkpoint: "" });
    expect(info.restore_faces).toBe(false);
  });
});

describe("sampler and scheduler names (§3.2, §5.2, §11 items 5, 6)", () => {
  const base = { prompt: "a cat", seed: 1, width: 64, height: 64 };
  const params = async (fields: object) => (await txt2img({ ...base, ...fields })).info.infotexts[0]!.split("\n")[1]!;

  it("splits 'DPM++ 2M Karras' into the sampler and its scheduler", async () => {
    const { info } = await txt2img({ ...base, sampler_name: "DPM++ 2M Karras" });
    expect(info.sampler_name).toBe("DPM++ 2M");
    expect(info.infotexts[0]).toContain("Sampler: DPM++ 2M, Schedule type: Karras,");
  });

  it("shows the sampler's default scheduler for Automatic (DPM++ 2M → Karras) and Automatic for Euler", async () => {
    expect(await params({ sampler_name: "DPM++ 2M" })).toContain("Schedule type: Karras");
    expect(await params({ sampler_name: "DPM++ 2M SDE" })).toContain("Schedule type: Exponential");
    expect(await params({ sampler_name: "Euler" })).toContain("Schedule type: Automatic");
  });

  it("accepts a scheduler by name or label", async () => {
    expect(await params({ sampler_name: "Euler", scheduler: "karras" })).toContain("Sampler: Euler, Schedule type: Karras");
    expect(await params({ sampler_name: "Euler", scheduler: "SGM Uniform" })).toContain("Schedule type: SGM Uniform");
  });

  it("accepts A1111's aliases (a Serena extension: A1111 1.10 falls back to DPM++ 2M)", async () => {
    expect(await params({ sampler_name: "k_euler_a" })).toContain("Sampler: Euler a,");
    expect(await params({ sampler_index: "k_dpmpp_2m" })).toContain("Sampler: DPM++ 2M,");
  });

  it("prefers sampler_name over sampler_index", async () => {
    expect(await params({ sampler_name: "Heun", sampler_index: "LMS" })).toContain("Sampler: Heun,");
  });

  it("answers 422 listing the valid names for an unknown sampler", async () => {
    const reply = await client.post(TXT2IMG, { ...base, sampler_name: "Euler b" });
    expectCleanError(reply, 422);
    const [issue] = reply.json().detail;
    expect(issue.loc).toEqual(["body", "sampler_name"]);
    expect(issue.msg).toContain("unknown sampler 'Euler b'");
    for (const name of ["DPM++ 2M", "Euler a", "Euler", "DDIM"]) expect(issue.msg).toContain(name);
  });

  it("names sampler_index when that is where the unknown sampler came from", async () => {
    const reply = await client.post(TXT2IMG, { ...base, sampler_index: "nope" });
    expectCleanError(reply, 422);
    expect(reply.json().detail[0].loc).toEqual(["body", "sampler_index"]);
  });

  it("answers 422 listing the valid names for an unknown scheduler", async () => {
    const reply = await client.post(TXT2IMG, { ...base, scheduler: "fancy" });
    expectCleanError(reply, 422);
    const [issue] = reply.json().detail;
    expect(issue.loc).toEqual(["body", "scheduler"]);
    expect(issue.msg).toContain("Karras");
  });
});

describe("without the CI fake and without a backend", () => {
  const plain = apiClient(testServices());

  it.each(["txt2img", "img2img"])("%s answers 503 in A1111's error shape", async (route) => {
    const reply = await plain.post(`/sdapi/v1/${route}`, {
      prompt: "a cat",
      init_images: route === "img2img" ? ["iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="] : undefined,
    });
    expectCleanError(reply, 503);
    const body = HTTPErrorBody.parse(reply.json());
    expect(body).toMatchObject({ error: "BackendUnavailable", body: "", errors: "" });
    expect(body.detail).toContain("SERENA_BACKEND");
    expect(reply.headers["x-serena-fake-inference"]).toBeUndefined();
  });

  it("validates exactly as in CI: invalid requests get the same 422", async () => {
    const reply = await plain.post(TXT2IMG, { steps: "abc" });
    const inCi = await client.post(TXT2IMG, { steps: "abc" });
    expectCleanError(reply, 422);
    expect(reply.text).toBe(inCi.text);
  });
});
