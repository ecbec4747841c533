/**
 * Every sampler setting a request can set reaches the sampler that reads it: through the API on the real engine,
 * changing one changes the image; one the chosen sampler does not read leaves the image as it was and is named in
 * the response's `warnings`.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Services } from "../../../lib/platform/runtime/services.ts";
import { GenerationResponse } from "../../../lib/a1111/schemas/generation-response.ts";
import { apiClient } from "../../fixtures/api.ts";
import { TEST_CACHE_DIR } from "../../fixtures/engine.ts";
import { testServices } from "../../fixtures/services.ts";

const services: Services = testServices({ SERENA_BACKEND: "local", SERENA_CACHE_DIR: TEST_CACHE_DIR });
const api = apiClient(services);
afterAll(() => services.backend.close?.());

const base = { prompt: "a lighthouse", negative_prompt: "fog", seed: 77, steps: 8, width: 64, height: 64 };

async function generate(body: Record<string, unknown>) {
  const reply = await api.post("/sdapi/v1/txt2img", { ...base, ...body });
  expect(reply.status, reply.text.slice(0, 300)).toBe(200);
  const response = GenerationResponse.parse(reply.json());
  return { image: response.images[0]!, warnings: response.warnings ?? [], info: JSON.parse(response.info) as { infotexts: string[] } };
}

describe("settings the chosen sampler reads change the image", () => {
  it.each([
    ["eta (Euler a)", { sampler_name: "Euler a" }, { eta: 0.4 }],
    ["eta (DDIM)", { sampler_name: "DDIM" }, { eta: 0.6 }],
    ["eta (DPM++ SDE)", { sampler_name: "DPM++ SDE" }, { eta: 0.5 }],
    ["s_churn (Euler)", { sampler_name: "Euler" }, { s_churn: 1 }],
    ["s_noise (Euler with churn)", { sampler_name: "Euler", s_churn: 1 }, { s_noise: 0.5 }],
    ["s_tmin (Euler with churn)", { sampler_name: "Euler", s_churn: 1 }, { s_tmin: 5 }],
    ["s_tmax (Euler with churn)", { sampler_name: "Euler", s_churn: 1 }, { s_tmax: 1 }],
    ["s_noise (DPM++ 2M SDE)", { sampler_name: "DPM++ 2M SDE" }, { s_noise: 0.5 }],
    ["s_min_uncond (any sampler)", { sampler_name: "Euler" }, { s_min_uncond: 10 }],
    ["uni_pc_variant", { sampler_name: "UniPC" }, { override_settings: { uni_pc_variant: "bh2" } }],
    ["uni_pc_variant vary_coeff", { sampler_name: "UniPC" }, { override_settings: { uni_pc_variant: "vary_coeff" } }],
    ["uni_pc_order", { sampler_name: "UniPC" }, { override_settings: { uni_pc_order: 2 } }],
    ["uni_pc_skip_type time_quadratic", { sampler_name: "UniPC" }, { override_settings: { uni_pc_skip_type: "time_quadratic" } }],
    ["uni_pc_skip_type logSNR", { sampler_name: "UniPC" }, { override_settings: { uni_pc_skip_type: "logSNR" } }],
    ["uni_pc_lower_order_final", { sampler_name: "UniPC" }, { override_settings: { uni_pc_lower_order_final: false } }],
    ["eta_noise_seed_delta (Euler a)", { sampler_name: "Euler a" }, { override_settings: { eta_noise_seed_delta: 31337 } }],
    ["s_churn as an option", { sampler_name: "Heun" }, { override_settings: { s_churn: 1 } }],
  ])("%s", async (_name, setup, change) => {
    const before = await generate(setup);
    const after = await generate({ ...setup, ...change });
    expect(after.image).not.toBe(before.image);
    expect(after.warnings).toEqual([]);
  });
});

describe("settings the chosen sampler does not read", () => {
  it.each([
    ["eta", { sampler_name: "Euler" }, { eta: 0.4 }, "eta=0.4 has no effect: Euler does not use it"],
    ["s_churn", { sampler_name: "Euler a" }, { s_churn: 1 }, "s_churn=1 has no effect: Euler a does not use it"],
    ["s_noise", { sampler_name: "DPM++ 2M" }, { s_noise: 0.5 }, "s_noise=0.5 has no effect: DPM++ 2M does not use it"],
    [
      "a UniPC option",
      { sampler_name: "Euler" },
      { override_settings: { uni_pc_order: 2 } },
      "override_settings.uni_pc_order has no effect: Euler does not use it",
    ],
    [
      "eta_ancestral with DDIM",
      { sampler_name: "DDIM" },
      { override_settings: { eta_ancestral: 0.5 } },
      "override_settings.eta_ancestral has no effect: DDIM does not use it",
    ],
  ])("%s: same image, and a warning naming it", async (_name, setup, change, warning) => {
    const before = await generate(setup);
    const after = await generate({ ...setup, ...change });
    expect(after.image).toBe(before.image);
    expect(after.warnings).toEqual([warning]);
    expect(before.warnings).toEqual([]);
  });
});

describe("infotext entries A1111 writes for these settings", () => {
  it("records NGMS when the uncond pass was skipped, and an option-driven churn as 'Sigma churn'", async () => {
    const ngms = await generate({ sampler_name: "Euler", s_min_uncond: 10 });
    expect(ngms.info.infotexts[0]).toContain("NGMS: 10.0");
    const churn = await generate({ sampler_name: "Euler", override_settings: { s_churn: 0.5 } });
    expect(churn.info.infotexts[0]).toContain("Sigma churn: 0.5");
    const request = await generate({ sampler_name: "Euler", s_churn: 0.5 });
    expect(request.info.infotexts[0]).not.toContain("Sigma churn");
  });

  it("an option-driven churn wins over the request's, as in A1111's Sampler.initialize", async () => {
    const fromOption = await generate({ sampler_name: "Euler", s_churn: 2, override_settings: { s_churn: 0.5 } });
    const optionOnly = await generate({ sampler_name: "Euler", override_settings: { s_churn: 0.5 } });
    expect(fromOption.image).toBe(optionOnly.image);
  });
});
