/**
 * Errors typed where they start, and the one mapping from an error to an HTTP status and A1111's body
 * (`errorAnswer`), used by the HTTP stack, the local server, the inference worker and the job runner alike.
 * `ApiError` bodies take A1111's shape `{error, detail, body, errors}`; validation errors FastAPI's
 * `{"detail": [{loc, msg, type}]}` (docs/a1111-semantics.md).
 */
import { PlanError } from "../engine/errors.ts";
import { ModelLoadError } from "../engine/model/model-load-error.ts";
import type { HTTPErrorBody, ValidationErrorBody, ValidationIssue } from "./schemas/errors.ts";

export class ApiError extends Error {
  readonly status: number;
  readonly errorName: string;
  /** Response headers the error calls for (`Retry-After` on a 429). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, errorName: string, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.status = status;
    this.errorName = errorName;
    this.headers = headers;
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
/** Too much work waiting: the client should try again after `retryAfterSeconds`. */
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new ApiError(429, "TooManyRequests", detail, { "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) });

/**
 * The error as one of the two typed kinds, or null for anything else (a bug: a 500). Engine errors are typed too:
 * a model folder that cannot be loaded is the server's 503; a plan the model cannot run that no layer mapped to a
 * request field is still the client's 422.
 */
export function typedError(error: unknown): ApiError | RequestValidationError | null {
  if (error instanceof ApiError || error instanceof RequestValidationError) return error;
  if (error instanceof ModelLoadError) return new ApiError(503, "ModelLoadError", error.message);
  if (error instanceof PlanError) return new RequestValidationError([{ loc: ["body"], msg: error.message, type: "value_error" }]);
  return null;
}

export interface ErrorAnswer {
  readonly status: number;
  readonly body: HTTPErrorBody | ValidationErrorBody;
  readonly headers: Readonly<Record<string, string>>;
  /** False for errors that are bugs (500s): those are logged with their stack. */
  readonly expected: boolean;
}

/**
 * The status, A1111 body and headers for any error. A 500 never carries the message or the stack; it names
 * `reference` ("request id …", "job id …"), under which the server log has the details.
 */
export function errorAnswer(error: unknown, reference: string): ErrorAnswer {
  const typed = typedError(error);
  if (typed instanceof RequestValidationError) return { status: 422, body: { detail: typed.issues }, headers: {}, expected: true };
  if (typed instanceof ApiError) {
    const headers: Record<string, string> = { ...typed.headers, ...(typed.status === 401 ? { "www-authenticate": 'Basic realm="serena"' } : {}) };
    return { status: typed.status, body: { error: typed.errorName, detail: typed.message, body: "", errors: "" }, headers, expected: true };
  }
  return {
    status: 500,
    body: { error: "InternalServerError", detail: `internal error; the server log has the details under ${reference}`, body: "", errors: "" },
    headers: {},
    expected: false,
  };
}
