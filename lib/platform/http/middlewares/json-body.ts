/**
 * Body handling with FastAPI's rules (what A1111 runs on): no content type or a JSON one → parsed as JSON; an
 * empty body → "field required"; malformed JSON → 422 `value_error.jsondecode`. Serena is more lenient in one
 * case: `curl -d` labels JSON as application/x-www-form-urlencoded, and text/plain is common too, so those are
 * parsed as JSON as well; other content types (multipart, images) make the body "not a valid dict".
 * Bodies over the configured limit are refused with 413 before parsing. Routes that declare no body never parse
 * one (FastAPI reads the body only for a body parameter), so `POST /interrupt` with stray bytes still answers.
 */
import { payloadTooLarge, RequestValidationError } from "../../../a1111/errors.ts";
import type { RouteMiddleware } from "../context.ts";
import { eventBodyBytes, eventBodySize, eventHeaders } from "../event.ts";

const NOT_JSON = Symbol("not-json");

const LENIENT_TYPES = new Set(["application/x-www-form-urlencoded", "text/plain"]);

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return true;
  const mime = value.split(";")[0]!.trim().toLowerCase();
  return mime === "application/json" || (mime.startsWith("application/") && mime.endsWith("+json")) || LENIENT_TYPES.has(mime);
}

function jsonErrorPosition(message: string): number {
  const m = /position (\d+)/.exec(message);
  return m ? Number(m[1]) : 0;
}

export function jsonBody(options: { parse: boolean }): RouteMiddleware {
  return {
    before(request) {
      const { event, context } = request;
      const limit = context.platform.config.maxBodyBytes;
      const size = eventBodySize(event);
      if (size > limit) throw payloadTooLarge(size, limit);
      if (!options.parse) return;
      const bytes = eventBodyBytes(event);
      if (!bytes || bytes.length === 0) {
        context.rawBody = undefined;
        return;
      }
      if (!isJsonContentType(eventHeaders(event)["content-type"])) {
        context.rawBody = NOT_JSON;
        return;
      }
      const text = bytes.toString("utf8");
      try {
        context.rawBody = JSON.parse(text);
      } catch (error) {
        const message = (error as Error).message;
        throw new RequestValidationError([
          { loc: ["body", jsonErrorPosition(message)], msg: `Invalid JSON: ${message}`, type: "value_error.jsondecode" },
        ]);
      }
    },
  };
}
