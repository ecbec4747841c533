/**
 * The requests behind the golden image hashes (golden-images.json): every sampler and scheduler, every exporter
 * variant, seeds and noise settings, prompt syntax, img2img resize modes, hires fix, output formats, and the CI fake.
 * Names are keys in the hash file: renaming one is a new case.
 */
export interface GoldenCase {
  name: string;
  route: "txt2img" | "img2img";
  body: Record<string, unknown>;
  /** Tiny model variant (folder name under the test's models root); the first one when absent. */
  model?: string;
  /** Gradient init images of these sizes (img2img). */
  initImages?: [number, number][];
  /** Answered by the CI fake instead of the engine. */
  fake?: boolean;
}

const SAMPLERS = [
  "DPM++ 2M",
  "DPM++ SDE",
  "DPM++ 2M SDE",
  "DPM++ 2M SDE Heun",
  "DPM++ 2S a",
  "DPM++ 3M SDE",
  "Euler a",
  "Euler",
  "LMS",
  "Heun",
  "DPM2",
  "DPM2 a",
  "DDIM",
  "UniPC",
  "LCM",
];

const SCHEDULERS = [
  "Automatic",
  "Uniform",
  "Karras",
  "Exponential",
  "Polyexponential",
  "SGM Uniform",
  "KL Optimal",
  "Align Your Steps",
  "Simple",
  "Normal",
  "DDIM",
  "Beta",
];

const VARIANTS = ["sd1-diffusers", "sd1-diffusers-fp16", "sd1-optimum-1.22", "sd2-optimum-1.23", "sd1-optimum-1.24"];

const base = { prompt: "a lighthouse on a cliff", negative_prompt: "fog", seed: 1234, steps: 6, width: 64, height: 64 };

const txt = (name: string, body: Record<string, unknown>, extra: Partial<GoldenCase> = {}): GoldenCase => ({
  name,
  route: "txt2img",
  body: { ...base, ...body },
  ...extra,
});

const img = (name: string, body: Record<string, unknown>, extra: Partial<GoldenCase> = {}): GoldenCase => ({
  name,
  route: "img2img",
  body: { ...base, denoising_strength: 0.6, ...body },
  initImages: [[80, 56]],
  ...extra,
});

export const GOLDEN_CASES: GoldenCase[] = [
  ...SAMPLERS.map((s) => txt(`sampler ${s}`, { sampler_name: s })),
  ...SCHEDULERS.map((s) => txt(`scheduler ${s}`, { sampler_name: "Euler", scheduler: s })),
  txt("DPM++ 2M Karras by suffix", { sampler_name: "DPM++ 2M Karras" }),
  ...VARIANTS.map((v) => txt(`variant ${v} txt2img`, { sampler_name: "DPM++ 2M" }, { model: v })),
  ...VARIANTS.map((v) => img(`variant ${v} img2img`, { sampler_name: "Euler a" }, { model: v })),
  txt("v-prediction DDIM", { sampler_name: "DDIM" }, { model: "sd2-optimum-1.23" }),
  txt("v-prediction UniPC", { sampler_name: "UniPC" }, { model: "sd2-optimum-1.23" }),
  txt("batch 2 x 2", { batch_size: 2, n_iter: 2, seed: 100 }),
  txt("variation seed", { subseed: 5, subseed_strength: 0.3, batch_size: 2 }),
  txt("seed resize", { seed_resize_from_w: 48, seed_resize_from_h: 80 }),
  txt("randn CPU", { override_settings: { randn_source: "CPU" } }),
  txt("randn NV", { override_settings: { randn_source: "NV" } }),
  txt("ENSD Euler a", { sampler_name: "Euler a", override_settings: { eta_noise_seed_delta: 31337 } }),
  txt("eta 0.5 Euler a", { sampler_name: "Euler a", eta: 0.5 }),
  txt("eta DDIM 0.3", { sampler_name: "DDIM", eta: 0.3 }),
  txt("churn Euler", { sampler_name: "Euler", s_churn: 0.5, s_tmin: 0.1, s_noise: 0.9 }),
  txt("sigma overrides", { sampler_name: "Euler", scheduler: "Karras", override_settings: { sigma_min: 0.1, sigma_max: 10, rho: 5 } }),
  txt("discard penultimate", { sampler_name: "Euler", override_settings: { always_discard_next_to_last_sigma: true } }),
  txt("emphasis", { prompt: "a (lighthouse:1.3) on a [cliff], ((sea))" }),
  txt("emphasis no norm", { prompt: "a (lighthouse:1.3)", override_settings: { emphasis: "No norm" } }),
  txt("prompt editing", { prompt: "a [lighthouse:castle:0.5] on a cliff" }),
  txt("alternation", { prompt: "a [lighthouse|castle] on a cliff" }),
  txt("composable AND", { prompt: "a lighthouse AND a castle :0.5" }),
  txt("BREAK", { prompt: "a lighthouse BREAK on a cliff" }),
  txt("long prompt", { prompt: Array.from({ length: 40 }, (_, i) => `word${i}`).join(", ") }),
  txt("cfg 1", { cfg_scale: 1 }),
  txt("cfg 12", { cfg_scale: 12 }),
  txt("non-square", { width: 96, height: 64 }),
  txt("jpg", { override_settings: { samples_format: "jpg" } }),
  txt("webp", { override_settings: { samples_format: "webp" } }),
  txt("no pnginfo", { override_settings: { enable_pnginfo: false } }),
  txt("no model hash", { override_settings: { add_model_hash_to_info: false, add_model_name_to_info: false } }),
  ...[0, 1, 2, 3].map((mode) => img(`img2img resize mode ${mode}`, { resize_mode: mode })),
  img("img2img low strength", { denoising_strength: 0.3 }),
  img("img2img fix steps", { override_settings: { img2img_fix_steps: true } }),
  img("img2img noise multiplier", { override_settings: { initial_noise_multiplier: 0.9 } }),
  img("img2img DDIM", { sampler_name: "DDIM" }),
  img("img2img UniPC", { sampler_name: "UniPC" }),
  img("img2img two init images", { batch_size: 2 }, { initImages: [[80, 56], [56, 80]] }),
  txt("hires latent", { enable_hr: true, hr_scale: 1.5 }),
  txt("hires latent nearest", { enable_hr: true, hr_scale: 1.5, hr_upscaler: "Latent (nearest)" }),
  txt("hires latent nearest-exact", { enable_hr: true, hr_scale: 1.5, hr_upscaler: "Latent (nearest-exact)" }),
  txt("hires lanczos", { enable_hr: true, hr_scale: 1.5, hr_upscaler: "Lanczos", denoising_strength: 0.5 }),
  txt("hires resize xy", { enable_hr: true, hr_resize_x: 96, hr_resize_y: 80 }),
  txt("hires steps sampler prompt", {
    enable_hr: true,
    hr_scale: 1.25,
    hr_second_pass_steps: 3,
    hr_sampler_name: "DPM++ 2M",
    hr_prompt: "a castle",
  }),
  txt("fake txt2img", { batch_size: 2, n_iter: 2 }, { fake: true }),
  txt("fake hires", { enable_hr: true, hr_scale: 1.5 }, { fake: true }),
  txt("fake jpg", { override_settings: { samples_format: "jpg" } }, { fake: true }),
  img("fake img2img", { resize_mode: 1 }, { fake: true }),
];
