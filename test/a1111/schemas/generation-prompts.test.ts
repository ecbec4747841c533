/**
 * Prompts A1111 v1.10.1 fails on while conditioning (a 500 there: `parse_prompt_attention`'s float() on `(a:.)`,
 * `collect_steps`' int() on an overflowing step) are refused by the request schemas with a 422 naming the field,
 * for txt2img, img2img and async jobs, checked on the texts the engine encodes for each pass.
 */
import { describe, expect, it } from "vitest";
import { Img2ImgRequest, Txt2ImgRequest } from "../../../lib/a1111/schemas/generation.ts";
import { JobCreateRequest } from "../../../lib/a1111/schemas/jobs.ts";
import { toValidationIssues } from "../../../lib/a1111/validation.ts";

function issues(schema: typeof Txt2ImgRequest | typeof Img2ImgRequest | typeof JobCreateRequest, body: unknown) {
  const result = schema.safeParse(body);
  return result.success ? [] : toValidationIssues(result.error, "body");
}

const WEIGHT_MESSAGE = `attention weight '.' is not a number: A1111 fails with "could not convert string to float: '.'"`;

describe("a weight float() rejects", () => {
  it.each(["prompt", "negative_prompt"])("in %s is a 422 naming it (txt2img, img2img, jobs)", (field) => {
    expect(issues(Txt2ImgRequest, { [field]: "a cat, (b:.)" })).toEqual([{ loc: ["body", field], msg: WEIGHT_MESSAGE, type: "value_error" }]);
    expect(issues(Img2ImgRequest, { [field]: "(b:.)", init_images: ["x"] })).toMatchObject([{ loc: ["body", field] }]);
    expect(issues(JobCreateRequest, { type: "txt2img", request: { [field]: "(b:.)" } })).toMatchObject([{ loc: ["body", "request", field] }]);
  });

  it("in hr_prompt or hr_negative_prompt only matters with enable_hr, as A1111 encodes them only then", () => {
    expect(issues(Txt2ImgRequest, { prompt: "a", hr_prompt: "(b:.)" })).toEqual([]);
    expect(issues(Txt2ImgRequest, { prompt: "a", hr_prompt: "(b:.)", enable_hr: true })).toMatchObject([{ loc: ["body", "hr_prompt"] }]);
    expect(issues(Txt2ImgRequest, { negative_prompt: "a", hr_negative_prompt: "(b:..)", enable_hr: true })).toMatchObject([{ loc: ["body", "hr_negative_prompt"] }]);
    // An empty hr_prompt means the prompt, which is then reported once.
    expect(issues(Txt2ImgRequest, { prompt: "(b:.)", enable_hr: true })).toMatchObject([{ loc: ["body", "prompt"] }]);
  });

  it("is read on the texts prompt editing makes at the pass's model calls (doubled for second-order samplers)", () => {
    // "(b:.)" comes in at step 15: never within Euler's 10 model calls, within DPM2's 20.
    const body = { prompt: "[a:(b:.):15]", steps: 10 };
    expect(issues(Txt2ImgRequest, { ...body, sampler_name: "Euler" })).toEqual([]);
    expect(issues(Txt2ImgRequest, { ...body, sampler_name: "DPM2" })).toMatchObject([{ loc: ["body", "prompt"] }]);
  });

  it("is not read under override_settings emphasis None, which encodes the text unparsed", () => {
    expect(issues(Txt2ImgRequest, { prompt: "(b:.)", override_settings: { emphasis: "None" } })).toEqual([]);
  });

  it("leaves weights A1111 reads alone, in any digits", () => {
    expect(issues(Txt2ImgRequest, { prompt: "(a:1.) (b:.5) (c:-1) (d:٣) e:. \\(f:.)" })).toEqual([]);
  });
});

describe("a prompt-editing step int() cannot take", () => {
  it("is a 422 naming the prompt", () => {
    expect(issues(Txt2ImgRequest, { prompt: "a [b:c:1e400]" })).toMatchObject([{ loc: ["body", "prompt"], msg: expect.stringMatching(/step 1e400 is out of range/) }]);
    expect(issues(Txt2ImgRequest, { negative_prompt: "[b:1e999]", override_settings: { emphasis: "None" } })).toMatchObject([{ loc: ["body", "negative_prompt"] }]);
  });
});
