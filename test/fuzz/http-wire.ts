/**
 * HTTP/1.1 at the byte level, for the fuzz against the running server: requests written exactly as generated
 * (methods and targets Node's client would refuse, lying Content-Length, chunked bodies, odd header bytes) and the
 * first response read back from the socket.
 */
import net from "node:net";

export interface WireRequest {
  readonly method: string;
  /** The request target as written on the request line. */
  readonly target: string;
  /** Header lines as written, name and value; Host and Connection: close are added first. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  /** The Content-Length header written, when it is not the body's length (a lie, or a malformed value). */
  readonly contentLength?: string;
  /** Send the body chunked instead (`raw`: chunk framing as written, for malformed framing). */
  readonly chunked?: "valid" | "raw";
  /** Close the writing side right after the bytes, whatever the framing says is still to come. */
  readonly halfClose?: boolean;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
}

/** The bytes of a request. */
export function requestBytes(request: WireRequest): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close"];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  let body = request.body;
  if (request.chunked === "valid") {
    lines.push("Transfer-Encoding: chunked");
    body = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from("\r\n0\r\n\r\n")]);
  } else if (request.chunked === "raw") {
    lines.push("Transfer-Encoding: chunked");
  }
  if (request.contentLength !== undefined) lines.push(`Content-Length: ${request.contentLength}`);
  else if (request.chunked === undefined && (body.length > 0 || request.method === "POST")) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), body]);
}

/**
 * Parses the first final response in `bytes` (interim 1xx answers, such as 100 Continue, are skipped), or null
 * when there is none (the server closed without answering).
 */
export function parseResponse(bytes: Buffer): WireResponse | null {
  if (/^HTTP\/1\.[01] 1\d\d /.test(bytes.toString("latin1", 0, 13))) {
    const interimEnd = bytes.indexOf("\r\n\r\n");
    return interimEnd < 0 ? null : parseResponse(bytes.subarray(interimEnd + 4));
  }
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const [statusLine = "", ...headerLines] = bytes.toString("latin1", 0, end).split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  if (!Number.isFinite(status)) return null;
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers["content-length"] === undefined ? bytes.length - end - 4 : Number(headers["content-length"]);
  return { status, headers, text: bytes.subarray(end + 4, end + 4 + length).toString("utf8") };
}

/** Sends `bytes` on a fresh connection and resolves with everything the server writes until it closes, or at `timeoutMs`. */
export function exchange(port: number, bytes: Buffer, halfClose: boolean, timeoutMs: number): Promise<{ bytes: Buffer; timedOut: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const parts: Buffer[] = [];
    let settled = false;
    const done = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(parts), timedOut });
    };
    const timer = setTimeout(() => done(true), timeoutMs);
    socket.on("data", (chunk: Buffer) => parts.push(chunk));
    socket.on("end", () => done(false));
    socket.on("close", () => done(false));
    // A reset after a refusal (the server closes while we still write) ends the exchange like a close.
    socket.on("error", () => done(false));
    socket.write(bytes, () => {
      if (halfClose) socket.end();
    });
  });
}
