/**
 * Malformed and out-of-range requests: 422 in FastAPI's `{"detail": [{loc, msg, type}]}` shape (docs/a1111-semantics.md §3.1),
 * never a 5xx and never a stack trace.
 */
import { describe, expect, it } from "vitest";
import { ValidationErrorBody } from "../../lib/a1111/schemas/errors.ts";
import { LIMITS } from "../../lib/a1111/schemas/limits.ts";
import { apiClient, expectCleanError } from "../fixtures/api.ts";
import { ciServices } from "../fixtures/services.ts";

const client = apiClient(ciServices());
const TXT2IMG = "/sdapi/v1/txt2img";

async function issues(body: unknown, headers?: Record<string, string>) {
  const reply = await client.post(TXT2IMG, body, { headers });
  expectCleanError(reply, 422);
  return ValidationErrorBody.parse(reply.json()).detail;
}

describe("malformed JSON", () => {
  it("is value_error.jsondecode at the character where Python's json module stops", async () => {
    // json.loads('{bad}') → "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)".
    const [issue] = await issues("{bad}");
    expect(issue).toMatchObject({ loc: ["body", 1], type: "value_error.jsondecode" });
    // json.loads('{"prompt": "a cat"') → "Expecting ',' delimiter: line 1 column 19 (char 18)".
    expect((await issues('{"prompt": "a cat"'))[0]!.loc).toEqual(["body", 18]);
  });

  it("a missing body is 'field required' on body (§3.1)", async () => {
    const reply = await client.post(TXT2IMG);
    expectCleanError(reply, 422);
    expect(reply.json()).toEqual({ detail: [{ loc: ["body"], msg: "field required", type: "value_error.missing" }] });
  });

  it("JSON that is not an object is 'value is not a valid dict'", async () => {
    for (const body of ["[1, 2]", '"a cat"', "42"]) {
      expect(await issues(body)).toEqual([{ loc: ["body"], msg: "value is not a valid dict", type: "type_error.dict" }]);
    }
  });
});

describe("field errors", () => {
  it("{steps: 'abc'} is A1111's example error (§3.1)", async () => {
    expect(await issues({ steps: "abc" })).toEqual([
      { loc: ["body", "steps"], msg: "value is not a valid integer", type: "type_error.integer" },
    ]);
  });

  it.each([
    ["cfg_scale", "high", "value is not a valid float", "type_error.float"],
    ["send_images", "maybe", "value could not be parsed to a boolean", "type_error.bool"],
    ["prompt", { text: "a cat" }, "str type expected", "type_error.str"],
    ["styles", "cats", "value is not a valid list", "type_error.list"],
    ["override_settings", [1], "value is not a valid dict", "type_error.dict"],
  ])("%s = %j: pydantic v1's message and type", async (field, value, msg, type) => {
    expect(await issues({ [field]: value })).toEqual([{ loc: ["body", field], msg, type }]);
  });

  it("reports every bad field at once", async () => {
    const found = await issues({ steps: "abc", width: "wide", cfg_scale: "x" });
    expect(found.map((i) => i.loc[1]).sort()).toEqual(["cfg_scale", "steps", "width"]);
  });

  it("an absurd size is refused with the bound", async () => {
    expect(await issues({ width: 100000 })).toEqual([
      {
        loc: ["body", "width"],
        msg: `ensure this value is less than or equal to ${LIMITS.maxSize}`,
        type: "value_error.number.not_le",
        ctx: { limit_value: LIMITS.maxSize },
      },
    ]);
    expect((await issues({ height: 8 }))[0]).toMatchObject({ loc: ["body", "height"], type: "value_error.number.not_ge" });
    expect((await issues({ steps: 0 }))[0]).toMatchObject({ loc: ["body", "steps"], type: "value_error.number.not_ge" });
  });

  it("an over-long prompt is refused", async () => {
    const [issue] = await issues({ prompt: "a".repeat(LIMITS.maxPromptLength + 1) });
    expect(issue).toMatchObject({ loc: ["body", "prompt"], type: "value_error.any_str.max_length" });
  });
});

describe("batch limits", () => {
  it("batch_size above its bound", async () => {
    const [issue] = await issues({ batch_size: LIMITS.maxBatchSize + 1 });
    expect(issue).toMatchObject({ loc: ["body", "batch_size"], type: "value_error.number.not_le" });
  });

  it("batch_size × n_iter above the image limit", async () => {
    const [issue] = await issues({ batch_size: 8, n_iter: 5, width: 64, height: 64 });
    expect(issue!.loc).toEqual(["body", "n_iter"]);
    expect(issue!.msg).toContain(`at most ${LIMITS.maxImages} images (got 40)`);
  });

  it("batch_size × width × height above the pixel limit", async () => {
    const [issue] = await issues({ batch_size: 5, width: 1024, height: 1024 });
    expect(issue!.loc).toEqual(["body", "batch_size"]);
    expect(issue!.msg).toContain("use n_iter for more images");
  });

  it("the largest allowed batch passes validation", async () => {
    const reply = await client.post(TXT2IMG, { batch_size: 4, n_iter: 1, width: 1024, height: 1024, send_images: false, seed: 1 });
    expect(reply.status).toBe(200);
  });
});

describe("scripts Serena does not have (§2.2 fields 50, 54)", () => {
  it("unknown script_name", async () => {
    expect(await issues({ script_name: "x/y/z plot" })).toEqual([
      { loc: ["body", "script_name"], msg: "Script 'x/y/z plot' not found", type: "value_error" },
    ]);
  });

  it("an alwayson_scripts entry that would run a script (no-ops are accepted: test/api/alwayson-scripts.test.ts)", async () => {
    const [issue, ...rest] = await issues({ alwayson_scripts: { "Dynamic Prompts": { args: [true] } } });
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ loc: ["body", "alwayson_scripts", "Dynamic Prompts"], type: "value_error" });
    expect(issue!.msg).toMatch(/^always on script Dynamic Prompts not found/);
  });

  it("an empty script_name and empty alwayson_scripts are fine", async () => {
    const reply = await client.post(TXT2IMG, { script_name: "", alwayson_scripts: {}, send_images: false, width: 64, height: 64 });
    expect(reply.status).toBe(200);
  });
});

describe("hires fix names", () => {
  it("an unknown hr_upscaler is refused with the valid names (A1111: 500 'could not find upscaler named X', §3.2)", async () => {
    const [issue] = await issues({ enable_hr: true, hr_upscaler: "ESRGAN_4x" });
    expect(issue!.loc).toEqual(["body", "hr_upscaler"]);
    expect(issue!.msg).toContain("could not find upscaler named ESRGAN_4x");
    expect(issue!.msg).toContain("Latent (bicubic antialiased)");
  });

  it("an unknown hr_sampler_name is refused", async () => {
    expect((await issues({ enable_hr: true, hr_sampler_name: "nope" }))[0]!.loc).toEqual(["body", "hr_sampler_name"]);
  });

  it("known names pass", async () => {
    const reply = await client.post(TXT2IMG, {
      enable_hr: true,
      hr_upscaler: "Latent (nearest-exact)",
      hr_sampler_name: "Euler a",
      send_images: false,
      width: 64,
      height: 64,
    });
    expect(reply.status).toBe(200);
  });
});
