/** Deploy-time settings (infra/stage.ts): what `.env.<stage>` may set, and what it may not. */
import { describe, expect, it } from "vitest";
import { deploySettings } from "../../infra/stage.ts";

describe("deploySettings", () => {
  it("deploys the Lambda worker with the sd15 model folder and no CORS when nothing is set", () => {
    expect(deploySettings("dev", {})).toMatchObject({ gpuEndpointUrl: null, modelName: "sd15", corsAllowOrigins: [] });
  });

  it.each(["ftp://gpu.example.com", "gpu.example.com", "https://"])("refuses SERENA_GPU_ENDPOINT_URL=%s", (url) => {
    expect(() => deploySettings("dev", { SERENA_GPU_ENDPOINT_URL: url })).toThrow(/SERENA_GPU_ENDPOINT_URL/);
  });

  it("takes an http(s) GPU endpoint, blank meaning none", () => {
    expect(deploySettings("dev", { SERENA_GPU_ENDPOINT_URL: " http://10.0.0.5:8080 " }).gpuEndpointUrl).toBe("http://10.0.0.5:8080");
    expect(deploySettings("dev", { SERENA_GPU_ENDPOINT_URL: " " }).gpuEndpointUrl).toBeNull();
  });

  it.each(["../other", "a/b", "-x", "sd 15"])("refuses SERENA_MODEL_NAME=%s, which would leave models/ in the bucket", (name) => {
    expect(() => deploySettings("dev", { SERENA_MODEL_NAME: name })).toThrow(/SERENA_MODEL_NAME/);
  });

  it("reads CORS origins as the server does: comma-separated, trimmed, blanks dropped", () => {
    expect(deploySettings("dev", { SERENA_CORS_ALLOW_ORIGINS: " https://a.example ,,https://b.example " }).corsAllowOrigins).toEqual([
      "https://a.example",
      "https://b.example",
    ]);
  });

  it("keeps outputs and jobs 7 days unless SERENA_OUTPUT_RETENTION_DAYS says otherwise, and refuses a bad value", () => {
    expect(deploySettings("dev", {}).outputRetentionDays).toBe(7);
    expect(deploySettings("dev", { SERENA_OUTPUT_RETENTION_DAYS: "30" }).outputRetentionDays).toBe(30);
    for (const bad of ["0", "-1", "1.5", "a week"]) {
      expect(() => deploySettings("dev", { SERENA_OUTPUT_RETENTION_DAYS: bad })).toThrow(/SERENA_OUTPUT_RETENTION_DAYS/);
    }
  });
});
