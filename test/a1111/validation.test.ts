/** zod issues reported as pydantic v1 / FastAPI reports them (docs/a1111-semantics.md §3.1): `{loc, msg, type[, ctx]}`. */
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { RequestValidationError } from "../../lib/a1111/errors.ts";
import { validate } from "../../lib/a1111/validation.ts";
import { boolField, floatField, intField, optionalInt, requiredStr, strField, strList } from "../../lib/a1111/schemas/fields.ts";

function issuesOf(schema: z.ZodType, value: unknown, where: "body" | "query" = "body") {
  try {
    validate(schema, value, where);
  } catch (error) {
    expect(error).toBeInstanceOf(RequestValidationError);
    return (error as RequestValidationError).issues;
  }
  throw new Error("expected a validation error");
}

const Model = z.object({
  count: intField(1, { min: 1, max: 10 }),
  ratio: floatField(0.5, { min: 0, max: 1 }),
  flag: boolField(false),
  name: strField("", 5),
  tags: strList(2),
  nested: z.object({ inner: intField(0) }).optional(),
  maybe: optionalInt(),
  must: requiredStr("x"),
});

describe("pydantic v1 error types and messages", () => {
  it.each([
    [{ count: "x" }, ["body", "count"], "value is not a valid integer", "type_error.integer", undefined],
    [{ count: 11 }, ["body", "count"], "ensure this value is less than or equal to 10", "value_error.number.not_le", { limit_value: 10 }],
    [{ count: 0 }, ["body", "count"], "ensure this value is greater than or equal to 1", "value_error.number.not_ge", { limit_value: 1 }],
    [{ ratio: [] }, ["body", "ratio"], "value is not a valid float", "type_error.float", undefined],
    [{ flag: "maybe" }, ["body", "flag"], "value could not be parsed to a boolean", "type_error.bool", undefined],
    [{ name: "toolong" }, ["body", "name"], "ensure this value has at most 5 characters", "value_error.any_str.max_length", { limit_value: 5 }],
    [{ name: [] }, ["body", "name"], "str type expected", "type_error.str", undefined],
    [{ tags: "a" }, ["body", "tags"], "value is not a valid list", "type_error.list", undefined],
    [{ tags: ["a", "b", "c"] }, ["body", "tags"], "ensure this value has at most 2 items", "value_error.list.max_items", { limit_value: 2 }],
    [{ nested: { inner: "x" } }, ["body", "nested", "inner"], "value is not a valid integer", "type_error.integer", undefined],
    [{ nested: 3 }, ["body", "nested"], "value is not a valid dict", "type_error.dict", undefined],
    [{ must: null }, ["body", "must"], "none is not an allowed value", "type_error.none.not_allowed", undefined],
  ])("%j → %j %s (%s)", (value, loc, msg, type, ctx) => {
    expect(issuesOf(Model, { tags: [], ...value })).toEqual([ctx ? { loc, msg, type, ctx } : { loc, msg, type }]);
  });

  it("a missing body is 'field required'", () => {
    expect(issuesOf(Model, undefined)).toEqual([{ loc: ["body"], msg: "field required", type: "value_error.missing" }]);
  });

  it("query errors are located under 'query'", () => {
    expect(issuesOf(z.object({ skip: boolField(false) }), { skip: "x" }, "query")[0]!.loc).toEqual(["query", "skip"]);
  });

  it("a min_items violation and an enum mismatch have pydantic-like types", () => {
    expect(issuesOf(z.array(z.string()).min(1), [])[0]!.type).toBe("value_error.list.min_items");
    expect(issuesOf(z.enum(["a", "b"]), "c")[0]!.type).toBe("type_error.enum");
  });

  it("valid input comes back with defaults applied and lax coercion done", () => {
    expect(validate(Model, { count: "3", ratio: 1, flag: "yes", name: 12, tags: [1, true], maybe: "7" }, "body")).toEqual({
      count: 3,
      ratio: 1,
      flag: true,
      name: "12",
      tags: ["1", "True"],
      maybe: 7,
      must: "x",
    });
  });
});

describe("lax coercion edge cases (pydantic v1)", () => {
  const one = (schema: z.ZodType, value: unknown) => schema.safeParse(value);

  it("int fields: truncation, bools, numeric strings with spaces; not floats as strings", () => {
    expect(one(intField(0), 20.7).data).toBe(20);
    expect(one(intField(0), -20.7).data).toBe(-20);
    expect(one(intField(0), false).data).toBe(0);
    expect(one(intField(0), " 42 ").data).toBe(42);
    expect(one(intField(0), "20.5").success).toBe(false);
    expect(one(intField(0), Number.NaN).success).toBe(false);
  });

  it("float fields: exponents, leading dots, bools", () => {
    expect(one(floatField(0), "1e-3").data).toBe(0.001);
    expect(one(floatField(0), ".5").data).toBe(0.5);
    expect(one(floatField(0), true).data).toBe(1);
    expect(one(floatField(0), "nan").success).toBe(false);
  });

  it("bool fields accept pydantic's words, in any case", () => {
    for (const v of ["1", "on", "T", "TRUE", "y", "Yes", 1]) expect(one(boolField(false), v).data).toBe(true);
    for (const v of ["0", "off", "f", "False", "n", "NO", 0]) expect(one(boolField(true), v).data).toBe(false);
    expect(one(boolField(true), 2).success).toBe(false);
  });

  it("null means the default for fields whose default is not null", () => {
    expect(one(intField(50), null).data).toBe(50);
    expect(one(strField("Euler"), null).data).toBe("Euler");
    expect(one(optionalInt(), null).data).toBeNull();
  });
});
