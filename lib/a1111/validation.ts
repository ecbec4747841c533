/**
 * Validation with the shared zod schemas, reported as FastAPI/pydantic v1 does: 422 with one
 * `{loc, msg, type}` entry per problem, `loc` starting with "body" or "query" (docs/a1111-semantics.md).
 */
import type * as z from "zod";
import { RequestValidationError } from "./errors.ts";
import { MSG } from "./schemas/fields.ts";
import type { ValidationIssue } from "./schemas/errors.ts";

const TYPE_BY_MESSAGE: Record<string, string> = {
  [MSG.integer]: "type_error.integer",
  [MSG.float]: "type_error.float",
  [MSG.bool]: "type_error.bool",
  [MSG.str]: "type_error.str",
  [MSG.list]: "type_error.list",
  [MSG.dict]: "type_error.dict",
  [MSG.none]: "type_error.none.not_allowed",
};

function pydanticType(issue: z.core.$ZodIssue): { type: string; ctx?: Record<string, unknown> } {
  switch (issue.code) {
    case "too_big":
      if (issue.origin === "string") return { type: "value_error.any_str.max_length", ctx: { limit_value: issue.maximum } };
      if (issue.origin === "array") return { type: "value_error.list.max_items", ctx: { limit_value: issue.maximum } };
      return { type: "value_error.number.not_le", ctx: { limit_value: issue.maximum } };
    case "too_small":
      if (issue.origin === "array") return { type: "value_error.list.min_items", ctx: { limit_value: issue.minimum } };
      return { type: "value_error.number.not_ge", ctx: { limit_value: issue.minimum } };
    case "invalid_type":
      return { type: TYPE_BY_MESSAGE[issue.message] ?? (issue.expected === "object" ? "type_error.dict" : "type_error") };
    case "invalid_value":
      return { type: "type_error.enum" };
    default:
      return { type: TYPE_BY_MESSAGE[issue.message] ?? "value_error" };
  }
}

export function toValidationIssues(error: z.ZodError, where: "body" | "query"): ValidationIssue[] {
  return error.issues.map((issue) => {
    const { type, ctx } = pydanticType(issue);
    const msg = issue.code === "invalid_type" && issue.expected === "object" ? MSG.dict : issue.message;
    const loc = [where, ...issue.path.map((p) => (typeof p === "number" ? p : String(p)))];
    return ctx ? { loc, msg, type, ctx } : { loc, msg, type };
  });
}

/** Parses `value` or throws a 422. A missing body is pydantic's "field required" on `body`. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, where: "body" | "query"): z.output<T> {
  if (value === undefined) {
    throw new RequestValidationError([{ loc: [where], msg: "field required", type: "value_error.missing" }]);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new RequestValidationError(toValidationIssues(result.error, where));
  return result.data;
}
