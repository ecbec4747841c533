/**
 * What a log line says about a refused request: the reason in a sentence and, for a 422, the field. Log lines carry
 * no request content (docs/security.md): error messages can quote what the client sent (an extra-network tag from a
 * prompt, a sampler name, the text around a JSON syntax error), so the reason is scrubbed first:
 * - every string the request carried (the parsed body, when known) is cut out of the message;
 * - `<…>` spans (prompt tags) are emptied, and a JSON syntax error keeps only its position (V8 quotes the text);
 * - anything but printable ASCII becomes "?", and the whole is capped at 200 characters.
 */
import { ApiError, RequestValidationError, typedError } from "../../a1111/errors.ts";

const MAX_REASON = 200;
/** Strings shorter than this are too common to be worth cutting (and cutting them would mangle the message). */
const MIN_SECRET = 3;
const MAX_STRINGS = 2000;
const MAX_VISITS = 100_000;

/** The strings of a parsed JSON value, longest first; the walk is bounded (bodies may hold millions of values). */
function stringsOf(value: unknown): string[] {
  const found = new Set<string>();
  const stack: unknown[] = [value];
  for (let visited = 0; stack.length > 0 && visited < MAX_VISITS && found.size < MAX_STRINGS; visited++) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (v.length >= MIN_SECRET) found.add(v);
    } else if (v !== null && typeof v === "object") {
      for (const item of Array.isArray(v) ? v : Object.values(v)) stack.push(item);
    }
  }
  return [...found].sort((a, b) => b.length - a.length);
}

/** `message` with request content removed (see the module comment). */
export function scrubReason(message: string, request?: unknown): string {
  let text = message;
  if (request !== undefined) {
    for (const s of stringsOf(request)) if (s.length <= text.length && text.includes(s)) text = text.split(s).join("…");
  }
  text = text.replace(/<[^<>]*>/g, "<…>");
  text = text.replace(/[^\x20-\x7e]/g, (c) => (c === "…" ? c : "?"));
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

export interface FailureLogFields {
  /** Why the request was refused, scrubbed of its content. */
  reason?: string;
  /** The first invalid field of a 422, e.g. "body.steps". */
  field?: string;
  /** How many fields a 422 named. */
  issues?: number;
}

/** The log fields for an error a request ended with; `request` is what the client sent, for scrubbing. */
export function failureLogFields(error: unknown, request?: unknown): FailureLogFields {
  const typed = typedError(error);
  if (typed instanceof RequestValidationError) {
    const first = typed.issues[0];
    if (!first) return { reason: "invalid request", issues: 0 };
    const msg = first.type === "value_error.jsondecode" ? "Invalid JSON" : first.msg;
    return { field: scrubReason(first.loc.join(".")), reason: scrubReason(msg, request), issues: typed.issues.length };
  }
  if (typed instanceof ApiError) return { reason: scrubReason(typed.message, request) };
  return {};
}
