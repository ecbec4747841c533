/**
 * The optional webhook: one POST of the job's final state (the same JSON as GET /serena/v1/jobs/{id}) when it ends.
 * No retries: the client can always poll. Redirects are not followed, so the request goes only where the client
 * said; only http and https URLs are accepted (checked at submit, and again here).
 */
import type { JobView } from "../../a1111/schemas/jobs.ts";

export const WEBHOOK_TIMEOUT_MS = 10_000;

export type WebhookOutcome = { ok: true } | { ok: false; error: string };

export async function deliverWebhook(url: string, job: JobView, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<WebhookOutcome> {
  const protocol = URL.canParse(url) ? new URL(url).protocol : "";
  if (protocol !== "http:" && protocol !== "https:") return { ok: false, error: `not an http(s) URL: ${url}` };
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "serena-webhook", "x-serena-job-id": job.id },
      body: JSON.stringify(job),
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.ok ? { ok: true } : { ok: false, error: `answered ${res.status}` };
  } catch (error) {
    const e = error as Error;
    return { ok: false, error: e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : e.message };
  }
}
