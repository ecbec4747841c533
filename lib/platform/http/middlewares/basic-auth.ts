/**
 * HTTP Basic auth with A1111's `--api-auth` semantics (docs/a1111-semantics.md §9.14): `user:pass[,user2:pass2]`, 401 in
 * A1111's error shape with its three messages. Serena applies it to every route, and compares in constant time:
 * both sides are hashed to equal length and every configured user is checked.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { unauthorized } from "../../../a1111/errors.ts";
import type { RouteMiddleware } from "../context.ts";
import { eventHeaders } from "../event.ts";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

export function parseBasicCredentials(header: string | undefined): { user: string; password: string } | "missing" | "malformed" {
  if (!header) return "missing";
  const [scheme, token] = header.trim().split(/\s+/, 2);
  if (!scheme || scheme.toLowerCase() !== "basic" || !token) return "malformed";
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return "malformed";
  const decoded = Buffer.from(token, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return "malformed";
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Throws A1111's 401 unless the header carries one of `users`' credentials; nothing to check without users. */
export function checkBasicAuth(header: string | undefined, users: readonly { user: string; password: string }[] | null): void {
  if (!users) return;
  const credentials = parseBasicCredentials(header);
  if (credentials === "missing") throw unauthorized("Not authenticated");
  if (credentials === "malformed") throw unauthorized("Invalid authentication credentials");
  const given = digest(`${credentials.user}\0${credentials.password}`);
  let ok = false;
  for (const u of users) ok = timingSafeEqual(given, digest(`${u.user}\0${u.password}`)) || ok;
  if (!ok) throw unauthorized("Incorrect username or password");
}

export function basicAuth(): RouteMiddleware {
  return {
    before(request) {
      checkBasicAuth(eventHeaders(request.event)["authorization"], request.context.platform.config.apiAuth);
    },
  };
}
