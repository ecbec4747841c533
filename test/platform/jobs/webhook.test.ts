/**
 * Webhooks are requests made on a client's behalf: only public https receivers, checked when the job is submitted
 * and again on the address actually connected to; signed so receivers can verify them; retried a bounded number of
 * times; and the job records only whether delivery worked.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestValidationError } from "../../../lib/a1111/errors.ts";
import { blockedAddress, checkWebhookUrl, deliverWebhook, webhookSignature, type WebhookPolicy } from "../../../lib/platform/jobs/webhook.ts";
import { startLocalEndpoint, type LocalEndpoint } from "./helpers.ts";

const SECRET = "a-test-secret-of-enough-length";
const STRICT: WebhookPolicy = { allowHttp: false, allowPrivate: false, secret: SECRET, timeoutMs: 2000, attempts: 3, backoffMs: 10 };
/** What a developer's machine or a test needs: a receiver on loopback over http. */
const LOCAL: WebhookPolicy = { ...STRICT, allowHttp: true, allowPrivate: true };

describe("addresses that may not receive webhooks", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["10.1.2.3", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local (cloud metadata)"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["0.0.0.0", "this network"],
    ["224.0.0.1", "multicast"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["fd00:ec2::254", "unique local (private)"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local (cloud metadata)"],
  ])("%s is %s", (address, reason) => {
    expect(blockedAddress(address)).toBe(reason);
  });

  it.each(["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("%s is public", (address) => {
    expect(blockedAddress(address)).toBeNull();
  });
});

async function refusal(url: string, policy: WebhookPolicy = STRICT): Promise<string> {
  const error = await checkWebhookUrl(url, policy).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RequestValidationError);
  const issue = (error as RequestValidationError).issues[0]!;
  expect(issue.loc).toEqual(["body", "webhook"]);
  return issue.msg;
}

describe("checked when the job is submitted", () => {
  it.each([
    ["http://8.8.8.8/hook", /https/],
    ["https://127.0.0.1/hook", /loopback/],
    ["https://0x7f000001/hook", /127\.0\.0\.1.*loopback/],
    ["https://2130706433/hook", /loopback/],
    ["https://127.1/hook", /loopback/],
    ["https://[::1]/hook", /loopback/],
    ["https://[::ffff:169.254.169.254]/latest/meta-data", /link-local/],
    ["https://169.254.169.254/latest/meta-data", /link-local/],
    ["https://localhost:8080/hook", /loopback/],
    ["https://user:pass@8.8.8.8/hook", /credentials/],
    ["ftp://8.8.8.8/hook", /https/],
    ["https://no-such-host.invalid/hook", /does not resolve/],
  ])("%s is refused", async (url, reason) => {
    expect(await refusal(url)).toMatch(reason);
  });

  it("a public https receiver is accepted", async () => {
    await expect(checkWebhookUrl("https://8.8.8.8/hook", STRICT)).resolves.toBeUndefined();
  });

  it("is off without a signing secret", async () => {
    expect(await refusal("https://8.8.8.8/hook", { ...STRICT, secret: null })).toMatch(/SERENA_WEBHOOK_SECRET/);
  });

  it("development settings allow http and loopback", async () => {
    await expect(checkWebhookUrl("http://127.0.0.1:9/hook", LOCAL)).resolves.toBeUndefined();
  });
});

describe("delivery", () => {
  let receiver: LocalEndpoint;
  let failing: LocalEndpoint;
  let refusing: LocalEndpoint;
  beforeAll(async () => {
    receiver = await startLocalEndpoint();
    failing = await startLocalEndpoint((_req, res) => ((res.statusCode = 503), res.end("busy")));
    refusing = await startLocalEndpoint((_req, res) => ((res.statusCode = 403), res.end("no")));
  });
  afterAll(async () => {
    await Promise.all([receiver.close(), failing.close(), refusing.close()]);
  });

  it("carries a signature the receiver can verify with the shared secret", async () => {
    const payload = { id: "job-1", status: "succeeded" };
    const outcome = await deliverWebhook(`${receiver.url}/hook`, payload, "job-1", LOCAL);
    expect(outcome).toEqual({ ok: true, attempts: 1 });
    const received = receiver.received.at(-1)!;
    expect(received.headers["x-serena-job-id"]).toBe("job-1");
    const [t, v1] = String(received.headers["x-serena-signature"]).split(",").map((part) => part.split("=")[1]!);
    const expected = createHmac("sha256", SECRET).update(`${t}.${received.body}`).digest("hex");
    expect(v1).toBe(expected);
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(60);
    expect(JSON.parse(received.body)).toEqual(payload);
    expect(webhookSignature("k", "body", 5)).toBe(`t=5,v1=${createHmac("sha256", "k").update("5.body").digest("hex")}`);
  });

  it("retries a 5xx with backoff up to the attempt limit, and not a 4xx", async () => {
    expect(await deliverWebhook(failing.url, {}, "job-2", LOCAL)).toEqual({ ok: false, attempts: 3, reason: "answered 503" });
    expect(failing.received).toHaveLength(3);
    expect(await deliverWebhook(refusing.url, {}, "job-3", LOCAL)).toEqual({ ok: false, attempts: 1, reason: "answered 403" });
  });

  it("never connects to a non-public address, even when the URL passed an earlier check (DNS rebinding)", async () => {
    const before = receiver.received.length;
    const port = new URL(receiver.url).port;
    const viaName = await deliverWebhook(`http://localhost:${port}/hook`, {}, "job-4", { ...STRICT, allowHttp: true });
    expect(viaName).toMatchObject({ ok: false, attempts: 1 });
    const viaLiteral = await deliverWebhook(`http://127.0.0.1:${port}/hook`, {}, "job-5", { ...STRICT, allowHttp: true });
    expect(viaLiteral).toMatchObject({ ok: false, attempts: 1, reason: expect.stringMatching(/loopback/) });
    expect(receiver.received).toHaveLength(before);
  });
});
