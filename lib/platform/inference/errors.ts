/**
 * Errors crossing a process or thread boundary (worker thread, inference Lambda, GPU endpoint) keep their type:
 * a 422 stays a 422 with its field list, a typed API error keeps its status, anything else is an internal error.
 */
import * as z from "zod";
import { ApiError, RequestValidationError, typedError } from "../../a1111/errors.ts";
import { ValidationIssue } from "../../a1111/schemas/errors.ts";

export const SerializedError = z.discriminatedUnion("type", [
  z.object({ type: z.literal("validation"), issues: z.array(ValidationIssue) }),
  z.object({
    type: z.literal("api"),
    status: z.int(),
    errorName: z.string(),
    message: z.string(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  z.object({ type: z.literal("internal"), message: z.string() }),
]);
export type SerializedError = z.output<typeof SerializedError>;

export function serializeError(error: unknown): SerializedError {
  const typed = typedError(error);
  if (typed instanceof RequestValidationError) return { type: "validation", issues: typed.issues };
  if (typed instanceof ApiError) {
    const headers = Object.keys(typed.headers).length > 0 ? { headers: { ...typed.headers } } : {};
    return { type: "api", status: typed.status, errorName: typed.errorName, message: typed.message, ...headers };
  }
  return { type: "internal", message: error instanceof Error ? error.message : String(error) };
}

export function deserializeError(error: SerializedError): Error {
  if (error.type === "validation") return new RequestValidationError(error.issues);
  if (error.type === "api") return new ApiError(error.status, error.errorName, error.message, error.headers);
  return new Error(`inference failed: ${error.message}`);
}
