/** The listing and system routes against the shapes and values of docs/a1111-semantics.md §5.1, §5.2, §9.5, §9.6, §9.11–9.15. */
import { describe, expect, it } from "vitest";
import { apiClient } from "../fixtures/api.ts";
import { ciServices, testServices } from "../fixtures/services.ts";

const client = apiClient(ciServices());
const get = async (path: string) => (await client.get(path)).json();

/** §5.1, in A1111's order: name, aliases, options (booleans stringified to "True" by pydantic). */
const A1111_SAMPLERS: Array<[string, string[], Record<string, string>]> = [
  ["DPM++ 2M", ["k_dpmpp_2m"], { scheduler: "karras" }],
  ["DPM++ SDE", ["k_dpmpp_sde"], { scheduler: "karras", second_order: "True", brownian_noise: "True" }],
  ["DPM++ 2M SDE", ["k_dpmpp_2m_sde"], { scheduler: "exponential", brownian_noise: "True" }],
  ["DPM++ 2M SDE Heun", ["k_dpmpp_2m_sde_heun"], { scheduler: "exponential", brownian_noise: "True", solver_type: "heun" }],
  ["DPM++ 2S a", ["k_dpmpp_2s_a"], { scheduler: "karras", uses_ensd: "True", second_order: "True" }],
  ["DPM++ 3M SDE", ["k_dpmpp_3m_sde"], { scheduler: "exponential", discard_next_to_last_sigma: "True", brownian_noise: "True" }],
  ["Euler a", ["k_euler_a", "k_euler_ancestral"], { uses_ensd: "True" }],
  ["Euler", ["k_euler"], {}],
  ["LMS", ["k_lms"], {}],
  ["Heun", ["k_heun"], { second_order: "True" }],
  ["DPM2", ["k_dpm_2"], { scheduler: "karras", discard_next_to_last_sigma: "True", second_order: "True" }],
  ["DPM2 a", ["k_dpm_2_a"], { scheduler: "karras", discard_next_to_last_sigma: "True", uses_ensd: "True", second_order: "True" }],
  ["DPM fast", ["k_dpm_fast"], { uses_ensd: "True" }],
  ["DPM adaptive", ["k_dpm_ad"], { uses_ensd: "True" }],
  ["Restart", ["restart"], { scheduler: "karras", second_order: "True" }],
  ["DDIM", ["ddim"], {}],
  ["DDIM CFG++", ["ddim_cfgpp"], {}],
  ["PLMS", ["plms"], {}],
  ["UniPC", ["unipc"], {}],
  ["LCM", ["k_lcm"], {}],
];

describe("/sdapi/v1/samplers", () => {
  it("lists samplers with A1111's names, aliases and options, in A1111's order", async () => {
    const listed = (await get("/sdapi/v1/samplers")) as Array<{ name: string; aliases: string[]; options: Record<string, string> }>;
    expect(listed.length).toBeGreaterThan(0);
    const reference = new Map(A1111_SAMPLERS.map(([name, aliases, options]) => [name, { name, aliases, options }]));
    for (const item of listed) expect(item).toEqual(reference.get(item.name));
    const order = A1111_SAMPLERS.map(([name]) => name).filter((name) => listed.some((s) => s.name === name));
    expect(listed.map((s) => s.name)).toEqual(order);
  });

  it("lists the API's default sampler Euler and the UI's Euler a and DPM++ 2M", async () => {
    const names = ((await get("/sdapi/v1/samplers")) as Array<{ name: string }>).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["Euler", "Euler a", "DPM++ 2M"]));
  });
});

describe("/sdapi/v1/schedulers", () => {
  it("lists A1111's twelve schedulers exactly (§5.2)", async () => {
    expect(await get("/sdapi/v1/schedulers")).toEqual([
      { name: "automatic", label: "Automatic", aliases: null, default_rho: -1, need_inner_model: false },
      { name: "uniform", label: "Uniform", aliases: null, default_rho: -1, need_inner_model: true },
      { name: "karras", label: "Karras", aliases: null, default_rho: 7, need_inner_model: false },
      { name: "exponential", label: "Exponential", aliases: null, default_rho: -1, need_inner_model: false },
      { name: "polyexponential", label: "Polyexponential", aliases: null, default_rho: 1, need_inner_model: false },
      { name: "sgm_uniform", label: "SGM Uniform", aliases: ["SGMUniform"], default_rho: -1, need_inner_model: true },
      { name: "kl_optimal", label: "KL Optimal", aliases: null, default_rho: -1, need_inner_model: false },
      { name: "align_your_steps", label: "Align Your Steps", aliases: null, default_rho: -1, need_inner_model: false },
      { name: "simple", label: "Simple", aliases: null, default_rho: -1, need_inner_model: true },
      { name: "normal", label: "Normal", aliases: null, default_rho: -1, need_inner_model: true },
      { name: "ddim", label: "DDIM", aliases: null, default_rho: -1, need_inner_model: true },
      { name: "beta", label: "Beta", aliases: null, default_rho: -1, need_inner_model: true },
    ]);
  });
});

describe("upscalers", () => {
  it("starts with None, Lanczos and Nearest, no model files, scale 4.0 (§9.5)", async () => {
    const plain = { model_name: null, model_path: null, model_url: null, scale: 4 };
    expect(((await get("/sdapi/v1/upscalers")) as unknown[]).slice(0, 3)).toEqual([
      { name: "None", ...plain },
      { name: "Lanczos", ...plain },
      { name: "Nearest", ...plain },
    ]);
  });

  it("lists the six latent upscale modes (§9.6)", async () => {
    expect(await get("/sdapi/v1/latent-upscale-modes")).toEqual([
      { name: "Latent" },
      { name: "Latent (antialiased)" },
      { name: "Latent (bicubic)" },
      { name: "Latent (bicubic antialiased)" },
      { name: "Latent (nearest)" },
      { name: "Latent (nearest-exact)" },
    ]);
  });
});

describe("system routes", () => {
  it("memory: RAM figures and cuda {error: 'unavailable'} (§9.11)", async () => {
    const memory = (await get("/sdapi/v1/memory")) as { ram: { free: number; used: number; total: number }; cuda: unknown };
    expect(memory.cuda).toEqual({ error: "unavailable" });
    expect(memory.ram.used).toBeGreaterThan(0);
    expect(memory.ram.free + memory.ram.used).toBe(memory.ram.total);
  });

  it("cmd-flags says whether auth is set without echoing the secret (§9.12)", async () => {
    const withAuth = apiClient(ciServices({ SERENA_API_AUTH: "admin:s3cret" }));
    const reply = await withAuth.get("/sdapi/v1/cmd-flags", { headers: { authorization: `Basic ${Buffer.from("admin:s3cret").toString("base64")}` } });
    expect(reply.json()).toMatchObject({ api: true, nowebui: true, api_auth: "(set)" });
    expect(reply.text).not.toContain("s3cret");
    expect(await get("/sdapi/v1/cmd-flags")).toMatchObject({ api_auth: null, listen: false, port: 7860 });
  });

  it("ping answers {} (§9.13)", async () => {
    expect(await get("/internal/ping")).toEqual({});
  });

  it.each([
    ["/sdapi/v1/sd-vae", []],
    ["/sdapi/v1/prompt-styles", []],
    ["/sdapi/v1/loras", []],
    ["/sdapi/v1/embeddings", { loaded: {}, skipped: {} }],
    ["/sdapi/v1/scripts", { txt2img: [], img2img: [] }],
  ])("%s answers the safe minimal shape (§9.15)", async (path, expected) => {
    expect(await get(path)).toEqual(expected);
  });

  it("refresh-checkpoints answers null", async () => {
    const reply = await client.post("/sdapi/v1/refresh-checkpoints");
    expect([reply.status, reply.json()]).toEqual([200, null]);
  });
});

describe("models", () => {
  it("sd-models lists the configured backend's checkpoints: none without a backend", async () => {
    expect(await get("/sdapi/v1/sd-models")).toEqual([]);
  });

  it("options names the backend's first checkpoint when none is chosen", async () => {
    const model = { title: "tiny [0123456789]", model_name: "tiny", hash: "0123456789", sha256: "ab".repeat(32), filename: "/models/tiny", config: null };
    const services = testServices({}, {
      backend: { name: "stub", listModels: async () => [model], generate: () => Promise.reject(new Error("unused")) },
    });
    const stubbed = apiClient(services);
    expect((await stubbed.get("/sdapi/v1/sd-models")).json()).toEqual([model]);
    expect((await stubbed.get("/sdapi/v1/options")).json()).toMatchObject({ sd_model_checkpoint: model.title, sd_checkpoint_hash: model.sha256 });
    // Any alias A1111 accepts selects it (§9.2): title, name, hash, sha256, file name.
    for (const alias of ["tiny", "0123456789", model.sha256, "/models/tiny"]) {
      expect((await stubbed.post("/sdapi/v1/options", { sd_model_checkpoint: alias })).status).toBe(200);
      expect((await stubbed.get("/sdapi/v1/options")).json().sd_model_checkpoint).toBe(model.title);
    }
  });
});
