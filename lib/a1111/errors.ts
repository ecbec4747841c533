/**
 * Errors typed where they start; lib/platform/http/errors.ts turns them into responses in one place.
 * `ApiError` bodies take A1111's shape `{error, detail, body, errors}` (a1111-api.md §3.1).
 */
import type { ValidationIssue } from "./schemas/errors.ts";

export class ApiError extends Error {
  readonly status: number;
  readonly errorName: string;
  constructor(status: number, errorName: string, detail: string) {
    super(detail);
    this.status = status;
    this.errorName = errorName;
  }
}

/** 422 with FastAPI's `{"detail": [{loc, msg, type}]}` body. */
export class RequestValidationError extends Error {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join(".")}: ${i.msg}`).join("; "));
    this.issues = issues;
  }
}

/** A bad value in one field of the body, found after schema validation (e.g. an undecodable image). */
export const invalidField = (loc: (string | number)[], msg: string, type = "value_error") =>
  new RequestValidationError([{ loc: ["body", ...loc], msg, type }]);

export const unauthorized = (detail: string) => new ApiError(401, "HTTPException", detail);
export const notFound = (detail: string) => new ApiError(404, "HTTPException", detail);
export const payloadTooLarge = (size: number, limit: number) =>
  new ApiError(413, "HTTPException", `Request body is ${size} bytes; the limit is ${limit} bytes`);
export const backendUnavailable = (detail: string) => new ApiError(503, "BackendUnavailable", detail);
export const gatewayTimeout = (detail: string) => new ApiError(504, "GatewayTimeout", detail);
export const conflict = (detail: string) => new ApiError(409, "HTTPException", detail);
