/**
 * Free-form JSON fields (override_settings, comments, script_args, alwayson_scripts, the POST /options body) are
 * bounded in depth and size (LIMITS.maxJsonDepth, maxJsonValues) when validated, before anything copies, clones or
 * serialises them: V8's JSON.stringify and structuredClone overflow the stack a few thousand levels down.
 */
import { describe, expect, it } from "vitest";
import { ROUTE } from "../../../lib/a1111/routes/table.ts";
import { dict, jsonList, jsonShapeProblem } from "../../../lib/a1111/schemas/fields.ts";
import { Img2ImgRequest, Txt2ImgRequest } from "../../../lib/a1111/schemas/generation.ts";
import { LIMITS } from "../../../lib/a1111/schemas/limits.ts";
import { toValidationIssues } from "../../../lib/a1111/validation.ts";
import { bestTimeMs } from "../../support/best-time.ts";

/** `depth` nested arrays around `leaf`, built without recursion. */
function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** `depth` nested objects `{"a": {"a": …}}`. */
function nestedObject(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

describe("jsonShapeProblem", () => {
  it("counts containers: scalars are depth 0, {} and [] are 1", () => {
    expect(jsonShapeProblem(nested(LIMITS.maxJsonDepth))).toBeNull();
    expect(jsonShapeProblem(nested(LIMITS.maxJsonDepth + 1))).toBe(`JSON nested deeper than ${LIMITS.maxJsonDepth} levels`);
    expect(jsonShapeProblem(nestedObject(LIMITS.maxJsonDepth))).toBeNull();
    expect(jsonShapeProblem(nestedObject(LIMITS.maxJsonDepth + 1))).not.toBeNull();
    expect(jsonShapeProblem("a string")).toBeNull();
  });

  it("stops at once on a value nested 1,000,000 deep, which JSON.stringify cannot serialise", () => {
    const deep = JSON.parse(`${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`) as unknown;
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(jsonShapeProblem(deep)).toMatch(/nested deeper/);
    // It stops at the depth limit instead of walking the million levels (best of three, so a busy runner's pause does not count).
    expect(bestTimeMs(() => jsonShapeProblem(deep))).toBeLessThan(250);
  });

  it("bounds the number of values, counting before it walks a large container", () => {
    expect(jsonShapeProblem(Array.from({ length: LIMITS.maxJsonValues - 1 }, () => 0))).toBeNull();
    expect(jsonShapeProblem(Array.from({ length: LIMITS.maxJsonValues }, () => 0))).toBe(`JSON value with more than ${LIMITS.maxJsonValues} values`);
    expect(jsonShapeProblem({ a: Array.from({ length: 5000 }, () => ({ b: 1 })) })).not.toBeNull();
  });
});

const issuesOf = (schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown) => {
  const result = schema.safeParse(value);
  expect(result.success).toBe(false);
  return toValidationIssues(result.error as never, "body");
};

describe("the schemas' free-form fields", () => {
  it("dict() and jsonList() accept ordinary values and refuse deep ones at the field", () => {
    expect(dict().parse({ a: { b: [1, 2, { c: null }] } })).toEqual({ a: { b: [1, 2, { c: null }] } });
    expect(issuesOf(dict(), { a: nested(LIMITS.maxJsonDepth) })[0]).toMatchObject({ loc: ["body"], type: "value_error" });
    expect(jsonList().parse([1, "a", [2]])).toEqual([1, "a", [2]]);
    expect(issuesOf(jsonList(), [nested(5000)])[0]!.msg).toMatch(/nested deeper/);
  });

  it.each(["override_settings", "comments", "alwayson_scripts"])("txt2img %s nested 5,000 deep is a 422 naming it", (field) => {
    const issues = issuesOf(Txt2ImgRequest, { prompt: "a", [field]: { x: nested(5000) } });
    expect(issues).toEqual([{ loc: ["body", field], msg: `JSON nested deeper than ${LIMITS.maxJsonDepth} levels`, type: "value_error" }]);
  });

  it("img2img script_args nested 5,000 deep is a 422 naming it", () => {
    const issues = issuesOf(Img2ImgRequest, { init_images: ["x"], script_args: [nested(5000)] });
    expect(issues[0]).toMatchObject({ loc: ["body", "script_args"] });
  });

  it("POST /options: a value too deep names its key; a body with too many values names the body", () => {
    const body = ROUTE["options-set"].body;
    expect(body.parse({ samples_format: "png", sd_model_checkpoint: null })).toEqual({ samples_format: "png", sd_model_checkpoint: null });
    expect(issuesOf(body, { samples_format: "png", deep: nested(100) })).toEqual([{ loc: ["body", "deep"], msg: `JSON nested deeper than ${LIMITS.maxJsonDepth} levels`, type: "value_error" }]);
    const many = Object.fromEntries(Array.from({ length: LIMITS.maxJsonValues }, (_, i) => [`k${i}`, i]));
    expect(issuesOf(body, many)[0]).toMatchObject({ loc: ["body"], msg: `JSON value with more than ${LIMITS.maxJsonValues} values` });
  });
});
