/** Configuration read once from the environment and validated (STYLE.md: configuration through one table). */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/platform/config.ts";
import { LIMITS } from "../../../lib/a1111/schemas/limits.ts";

describe("parseConfig", () => {
  it("has A1111's host and port and Serena's limits by default", () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ host: "127.0.0.1", port: 7860, ciFake: false, apiAuth: null, corsAllowOrigins: [], maxBodyBytes: LIMITS.maxBodyBytes });
  });

  it("turns the CI fake on only for CI=true exactly (docs/architecture.md)", () => {
    expect(parseConfig({ CI: "true" }).ciFake).toBe(true);
    for (const CI of ["1", "TRUE", "yes", ""]) expect(parseConfig({ CI }).ciFake).toBe(false);
  });

  it("reads --api-auth's user:pass[,user2:pass2] (§9.14)", () => {
    expect(parseConfig({ SERENA_API_AUTH: "a:b,c:d" }).apiAuth).toEqual([
      { user: "a", password: "b" },
      { user: "c", password: "d" },
    ]);
  });

  it.each(["a:b:c", "nopass", "a:", ":b"])("refuses SERENA_API_AUTH=%s: passwords cannot contain ':'", (value) => {
    expect(() => parseConfig({ SERENA_API_AUTH: value })).toThrow(/SERENA_API_AUTH/);
  });

  it("reads CORS origins as a comma-separated list", () => {
    expect(parseConfig({ SERENA_CORS_ALLOW_ORIGINS: " https://a.example ,https://b.example,, " }).corsAllowOrigins).toEqual([
      "https://a.example",
      "https://b.example",
    ]);
  });

  it("reads onnxruntime execution providers in order, CPU by default", () => {
    expect(parseConfig({}).ortExecutionProviders).toEqual(["cpu"]);
    expect(parseConfig({ SERENA_ORT_EXECUTION_PROVIDERS: "CUDA, cpu" }).ortExecutionProviders).toEqual(["cuda", "cpu"]);
    expect(() => parseConfig({ SERENA_ORT_EXECUTION_PROVIDERS: "tpu" })).toThrow(/SERENA_ORT_EXECUTION_PROVIDERS/);
  });

  it("refuses bad numbers and unknown choices with the variable's name", () => {
    expect(() => parseConfig({ PORT: "70000" })).toThrow(/PORT/);
    expect(() => parseConfig({ SERENA_MAX_BODY_BYTES: "-1" })).toThrow(/SERENA_MAX_BODY_BYTES/);
    expect(() => parseConfig({ SERENA_BACKEND: "gpu" })).toThrow(/SERENA_BACKEND/);
  });
});
