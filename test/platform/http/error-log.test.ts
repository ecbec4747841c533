/**
 * Refused requests in the log (lib/platform/http/error-log.ts, middlewares/access-log.ts): one line with the status,
 * the reason and, for a 422, the first invalid field; never what the client sent (prompts, tags in them, the text
 * around a JSON syntax error).
 */
import { afterEach, describe, expect, it } from "vitest";
import { ApiError, RequestValidationError } from "../../../lib/a1111/errors.ts";
import { failureLogFields, scrubReason } from "../../../lib/platform/http/error-log.ts";
import { apiClient } from "../../fixtures/api.ts";
import { ciServices } from "../../fixtures/services.ts";
import { captureLogs, type LogCapture } from "../log-capture.ts";

/** A word that must never reach the log. */
const SECRET = "zanzibar";

describe("scrubReason", () => {
  it("cuts every string the request carried out of the message", () => {
    const request = { prompt: `a ${SECRET} cat`, sampler_name: "My Sampler" };
    expect(scrubReason(`unknown sampler 'My Sampler'; prompt was 'a ${SECRET} cat'`, request)).toBe("unknown sampler '…'; prompt was '…'");
  });

  it("empties <…> spans, which quote extra-network tags from prompts", () => {
    expect(scrubReason(`<lora:${SECRET}:0.8>: extra networks (lora) are not available`)).toBe("<…>: extra networks (lora) are not available");
  });

  it("replaces anything but printable ASCII and caps the length at 200", () => {
    expect(scrubReason("bad\nline\u0000é")).toBe("bad?line??");
    const long = scrubReason("x".repeat(500));
    expect(long).toHaveLength(200);
    expect(long.endsWith("…")).toBe(true);
  });
});

describe("failureLogFields", () => {
  it("names a 422's first field and message, and how many issues it had", () => {
    const error = new RequestValidationError([
      { loc: ["body", "steps"], msg: "ensure this value is greater than or equal to 1", type: "value_error.number.not_ge" },
      { loc: ["body", "width"], msg: "value is not a valid integer", type: "type_error.integer" },
    ]);
    expect(failureLogFields(error)).toEqual({ field: "body.steps", reason: "ensure this value is greater than or equal to 1", issues: 2 });
  });

  it("keeps only 'Invalid JSON' of a JSON syntax error (V8 quotes the text around it)", () => {
    const error = new RequestValidationError([
      { loc: ["body", 12], msg: `Invalid JSON: Unexpected token 'a', "${SECRET} a" is not valid JSON`, type: "value_error.jsondecode" },
    ]);
    expect(failureLogFields(error)).toEqual({ field: "body.12", reason: "Invalid JSON", issues: 1 });
  });

  it("gives a typed error's detail, and nothing for an untyped one (a 500 is logged with its stack elsewhere)", () => {
    expect(failureLogFields(new ApiError(404, "HTTPException", "job 42 not found"))).toEqual({ reason: "job 42 not found" });
    expect(failureLogFields(new Error("boom"))).toEqual({});
  });
});

describe("the access log of a refused request", () => {
  let logs: LogCapture;
  afterEach(() => logs.restore());
  const client = apiClient(ciServices({ SERENA_LOG_LEVEL: "info" }));

  async function refusedLine(send: () => Promise<{ status: number; headers: Record<string, string> }>, status: number) {
    logs = captureLogs();
    const reply = await send();
    expect(reply.status).toBe(status);
    const lines = logs.find("request refused");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "WARN", status, requestId: reply.headers["x-request-id"] });
    expect(logs.text()).not.toContain(SECRET);
    return lines[0]!;
  }

  it("a 422 names the field and the reason, and no prompt text", async () => {
    const line = await refusedLine(() => client.post("/sdapi/v1/txt2img", { prompt: `a photo of ${SECRET} the cat`, steps: 0 }), 422);
    expect(line).toMatchObject({ field: "body.steps", method: "POST", path: "/sdapi/v1/txt2img" });
    expect(String(line.reason)).toMatch(/greater than or equal to 1/);
  });

  it("a 422 whose message quotes the prompt (an extra-network tag) keeps the field and drops the quote", async () => {
    const line = await refusedLine(() => client.post("/sdapi/v1/txt2img", { prompt: `a <lora:${SECRET}:1> cat`, steps: 4 }), 422);
    expect(line).toMatchObject({ field: "body.prompt" });
    expect(String(line.reason)).toContain("LoRA not found");
  });

  it("a body that is not JSON is logged as 'Invalid JSON' at its position", async () => {
    const line = await refusedLine(() => client.post("/sdapi/v1/txt2img", `{"prompt": "${SECRET}`), 422);
    expect(line).toMatchObject({ reason: "Invalid JSON" });
    expect(String(line.field)).toMatch(/^body\.\d+$/);
  });

  it("a 404 is logged with its detail", async () => {
    const line = await refusedLine(() => client.get("/serena/v1/jobs/00000000-0000-4000-8000-000000000000"), 404);
    expect(line.reason).toBe("job 00000000-0000-4000-8000-000000000000 not found");
  });
});
