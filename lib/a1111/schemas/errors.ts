/** Error bodies: A1111's `handle_exception` shape and FastAPI's 422 (docs/a1111-semantics.md §3). */
import * as z from "zod";

export const HTTPErrorBody = z
  .object({ error: z.string(), detail: z.string(), body: z.string(), errors: z.string() })
  .meta({ id: "HTTPError", description: "A1111's error shape: exception name, detail, body, str(exception)." });

export const ValidationIssue = z.object({
  loc: z.array(z.union([z.string(), z.number()])),
  msg: z.string(),
  type: z.string(),
  ctx: z.record(z.string(), z.unknown()).optional(),
});

export const ValidationErrorBody = z
  .object({ detail: z.array(ValidationIssue) })
  .meta({ id: "HTTPValidationError", description: "FastAPI/pydantic v1 validation errors: one entry per bad field." });

export type HTTPErrorBody = z.output<typeof HTTPErrorBody>;
export type ValidationIssue = z.output<typeof ValidationIssue>;
export type ValidationErrorBody = z.output<typeof ValidationErrorBody>;
