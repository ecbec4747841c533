/**
 * SERENA_MAX_RESPONSE_BYTES applies by default only where Lambda's 6 MB response limit does (docs/configuration.md):
 * inside a Lambda function (AWS_LAMBDA_FUNCTION_NAME, which Lambda sets in every function's environment) and when
 * generation runs on the Lambda inference worker. The local server answers a large batch inline.
 */
import { describe, expect, it } from "vitest";
import { LAMBDA_RESPONSE_BYTES, NO_RESPONSE_LIMIT, parseConfig } from "../../../lib/platform/config.ts";
import { createServices } from "../../../lib/platform/runtime/services.ts";
import { createServer, listen } from "../../../lib/platform/server/server.ts";
import { apiClient } from "../../fixtures/api.ts";
import { tinyModelDir } from "../../fixtures/engine.ts";

describe("the default response limit", () => {
  it("is none for the local server and the CLI", () => {
    expect(parseConfig({}).maxResponseBytes).toBe(NO_RESPONSE_LIMIT);
    expect(parseConfig({ SERENA_BACKEND: "http" }).maxResponseBytes).toBe(NO_RESPONSE_LIMIT);
  });

  it("is 5.5 MB inside a Lambda function and in front of the Lambda inference worker", () => {
    expect(LAMBDA_RESPONSE_BYTES).toBe(5_500_000);
    expect(parseConfig({ AWS_LAMBDA_FUNCTION_NAME: "serena-txt2img" }).maxResponseBytes).toBe(LAMBDA_RESPONSE_BYTES);
    expect(parseConfig({ SERENA_BACKEND: "lambda" }).maxResponseBytes).toBe(LAMBDA_RESPONSE_BYTES);
  });

  it("SERENA_MAX_RESPONSE_BYTES sets it anywhere", () => {
    expect(parseConfig({ SERENA_MAX_RESPONSE_BYTES: "1000" }).maxResponseBytes).toBe(1000);
    expect(parseConfig({ SERENA_MAX_RESPONSE_BYTES: "9000000", AWS_LAMBDA_FUNCTION_NAME: "f" }).maxResponseBytes).toBe(9_000_000);
  });

  it("is a number the worker protocol carries: JSON keeps it, unlike Infinity", () => {
    expect(JSON.parse(JSON.stringify({ limit: NO_RESPONSE_LIMIT })).limit).toBe(NO_RESPONSE_LIMIT);
    expect(Number.isSafeInteger(NO_RESPONSE_LIMIT)).toBe(true);
  });
});

describe("a batch of 8 at 640x640 on the real engine (the generated tiny model: noise, which PNG cannot shrink)", () => {
  const request = { prompt: "a large batch", seed: 1, steps: 1, width: 640, height: 640, batch_size: 8 };

  it("the local server returns it inline; the Lambda handler with a Lambda's environment refuses it with 413", async () => {
    const modelDir = await tinyModelDir();
    const local = createServices(parseConfig({ SERENA_LOG_LEVEL: "silent", SERENA_MODEL_DIR: modelDir }));
    const server = createServer(local);
    try {
      const { port } = await listen(server, "127.0.0.1", 0);
      const reply = await fetch(`http://127.0.0.1:${port}/sdapi/v1/txt2img`, { method: "POST", body: JSON.stringify(request) });
      const text = await reply.text();
      expect(reply.status).toBe(200);
      expect((JSON.parse(text) as { images: string[] }).images).toHaveLength(8);
      // Over Lambda's limit, so the check below is meaningful.
      expect(Buffer.byteLength(text)).toBeGreaterThan(LAMBDA_RESPONSE_BYTES);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await local.backend.close?.();
    }

    const lambda = createServices(parseConfig({ SERENA_LOG_LEVEL: "silent", SERENA_MODEL_DIR: modelDir, AWS_LAMBDA_FUNCTION_NAME: "serena-txt2img" }));
    try {
      const reply = await apiClient(lambda).post("/sdapi/v1/txt2img", request);
      expect(reply.status).toBe(413);
      expect(reply.json()).toMatchObject({ error: "ResponseTooLarge" });
      expect(reply.json().detail).toContain(`over the ${LAMBDA_RESPONSE_BYTES}-byte limit (SERENA_MAX_RESPONSE_BYTES`);
    } finally {
      await lambda.backend.close?.();
    }
  });
});
