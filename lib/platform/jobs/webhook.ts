/**
 * The optional webhook: a POST of the job's final state (the same JSON as GET /serena/v1/jobs/{id}) when it ends.
 * A webhook is a request the server makes on a client's behalf, so (docs/security.md):
 * - only https URLs, and http only when SERENA_WEBHOOK_ALLOW_HTTP is on;
 * - the host must resolve to public addresses only — loopback, private, link-local (the cloud metadata service),
 *   CGNAT, multicast and reserved ranges are refused at submit time (422) and checked again on the address actually
 *   connected to at send time, so a DNS answer that changes in between (DNS rebinding) is caught too;
 * - redirects are not followed; bounded retries with exponential backoff on network errors, 429 and 5xx;
 * - each delivery is signed: `x-serena-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with
 *   SERENA_WEBHOOK_SECRET, as Stripe and Replicate sign theirs, so receivers can check it came from this server;
 * - the job records only whether delivery succeeded, never why a connection failed (no port-scanning oracle); the
 *   reason goes to the log.
 */
import { createHmac } from "node:crypto";
import dns from "node:dns";
import net from "node:net";
import { invalidField } from "../../a1111/errors.ts";

export interface WebhookPolicy {
  /** Accept plain http URLs (local development). */
  readonly allowHttp: boolean;
  /** Accept private and loopback addresses (local development and tests only). */
  readonly allowPrivate: boolean;
  /** The HMAC key deliveries are signed with; webhooks are refused without one. */
  readonly secret: string | null;
  readonly timeoutMs: number;
  readonly attempts: number;
  /** The first retry's delay; each further one doubles it. */
  readonly backoffMs: number;
}

const BLOCKED_V4 = [
  ["0.0.0.0", 8, "this network"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "carrier-grade NAT"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local (cloud metadata)"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "IETF protocol assignments"],
  ["192.0.2.0", 24, "documentation"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["198.51.100.0", 24, "documentation"],
  ["203.0.113.0", 24, "documentation"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
] as const;

const BLOCKED_V6 = [
  ["::", 128, "unspecified"],
  ["::1", 128, "loopback"],
  ["fc00::", 7, "unique local (private)"],
  ["fe80::", 10, "link-local"],
  ["ff00::", 8, "multicast"],
  ["2001:db8::", 32, "documentation"],
  ["100::", 64, "discard"],
] as const;

const v4Lists = BLOCKED_V4.map(([network, prefix, reason]) => {
  const list = new net.BlockList();
  list.addSubnet(network, prefix, "ipv4");
  return { list, reason };
});
const v6Lists = BLOCKED_V6.map(([network, prefix, reason]) => {
  const list = new net.BlockList();
  list.addSubnet(network, prefix, "ipv6");
  return { list, reason };
});

/** The IPv4 address an IPv6 one embeds (IPv4-mapped ::ffff:a.b.c.d or NAT64 64:ff9b::a.b.c.d), if any. */
function embeddedV4(address: string): string | null {
  const lower = address.toLowerCase();
  for (const prefix of ["::ffff:", "64:ff9b::"]) {
    if (!lower.startsWith(prefix)) continue;
    const rest = lower.slice(prefix.length);
    if (net.isIPv4(rest)) return rest;
    const groups = rest.split(":");
    if (groups.length === 2 && groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) {
      const [hi, lo] = groups.map((g) => Number.parseInt(g, 16)) as [number, number];
      return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
    }
  }
  return null;
}

/** Why an address may not receive webhooks, or null when it is a public address. */
export function blockedAddress(address: string): string | null {
  const v4 = net.isIPv4(address) ? address : net.isIPv6(address) ? embeddedV4(address) : null;
  if (v4) return v4Lists.find(({ list }) => list.check(v4, "ipv4"))?.reason ?? null;
  if (net.isIPv6(address)) return v6Lists.find(({ list }) => list.check(address, "ipv6"))?.reason ?? null;
  return "not an IP address";
}

/** The host as the URL parser normalises it (0x7f000001 → 127.0.0.1), without IPv6 brackets. */
const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

async function resolveAll(host: string): Promise<string[]> {
  if (net.isIP(host)) return [host];
  const found = await dns.promises.lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** Checks a webhook URL when a job is submitted: a 422 naming `webhook` when it may not be called. */
export async function checkWebhookUrl(value: string, policy: WebhookPolicy): Promise<void> {
  const refuse = (why: string) => invalidField(["webhook"], why);
  if (!policy.secret) throw refuse("webhooks are off on this server: set SERENA_WEBHOOK_SECRET to sign them");
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) throw refuse("webhook must be an https URL");
  if (url.protocol === "http:" && !policy.allowHttp) throw refuse("webhook must be an https URL (http is off: SERENA_WEBHOOK_ALLOW_HTTP)");
  if (url.username || url.password) throw refuse("webhook URLs may not carry credentials");
  if (policy.allowPrivate) return;
  let addresses: string[];
  try {
    addresses = await resolveAll(hostOf(url));
  } catch {
    throw refuse(`webhook host ${url.hostname} does not resolve`);
  }
  for (const address of addresses) {
    const reason = blockedAddress(address);
    if (reason) throw refuse(`webhook host ${url.hostname} resolves to ${address}, a ${reason} address; only public addresses receive webhooks`);
  }
}

/** `x-serena-signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const digest = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${digest}`;
}

type Attempt = { ok: true } | { ok: false; retry: boolean; reason: string };

/** A receiver address the policy forbids: final, never retried. */
class BlockedAddressError extends Error {}

async function postOnce(url: URL, body: string, headers: Record<string, string>, policy: WebhookPolicy): Promise<Attempt> {
  // Loaded on first delivery: importing node:http builds its ESM facade, which loads Node's bundled undici (about
  // 30 ms), a cost every API function would otherwise pay at cold start.
  const client = url.protocol === "https:" ? (await import("node:https")).default : (await import("node:http")).default;
  // An IP literal is connected to without a lookup, so it is checked here.
  const literal = hostOf(url);
  const literalBlocked = !policy.allowPrivate && net.isIP(literal) ? blockedAddress(literal) : null;
  if (literalBlocked) return { ok: false, retry: false, reason: `${literal} is a ${literalBlocked} address` };
  // Every address the connection would use is checked as it is looked up, so rebinding between check and send fails.
  const lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, "", 4);
      const list = addresses as dns.LookupAddress[];
      const blocked = policy.allowPrivate ? undefined : list.find((a) => blockedAddress(a.address));
      if (blocked) return callback(new BlockedAddressError(`${hostname} resolved to ${blocked.address}, a ${blockedAddress(blocked.address)} address`), "", 4);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
  return new Promise((resolve) => {
    const request = client.request(
      url,
      { method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) }, lookup, timeout: policy.timeoutMs },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve({ ok: true });
        else resolve({ ok: false, retry: status === 429 || status >= 500, reason: `answered ${status}` });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no answer within ${policy.timeoutMs} ms`)));
    request.on("error", (error) => resolve({ ok: false, retry: !(error instanceof BlockedAddressError), reason: error.message }));
    request.end(body);
  });
}

export type WebhookOutcome = { ok: true; attempts: number } | { ok: false; attempts: number; reason: string };

/** Delivers `payload` to a webhook checked at submit time; never throws. */
export async function deliverWebhook(target: string, payload: unknown, jobId: string, policy: WebhookPolicy): Promise<WebhookOutcome> {
  const url = new URL(target);
  const body = JSON.stringify(payload);
  let last = "not attempted";
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    const headers = {
      "content-type": "application/json",
      "user-agent": "serena-webhook",
      "x-serena-job-id": jobId,
      "x-serena-signature": webhookSignature(policy.secret ?? "", body, Math.floor(Date.now() / 1000)),
    };
    const outcome = await postOnce(url, body, headers, policy);
    if (outcome.ok) return { ok: true, attempts: attempt };
    last = outcome.reason;
    if (!outcome.retry || attempt === policy.attempts) return { ok: false, attempts: attempt, reason: last };
    await new Promise((resolve) => setTimeout(resolve, policy.backoffMs * 2 ** (attempt - 1)));
  }
  return { ok: false, attempts: policy.attempts, reason: last };
}
