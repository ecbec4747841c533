/**
 * Upscalers Serena runs: A1111's three plain resizes (modules/upscaler.py `UpscalerNone`, `UpscalerLanczos`,
 * `UpscalerNearest`), and the latent upscale modes used by hires fix (modules/shared_items.py).
 */
export const UPSCALERS = [
  { name: "None", sharpKernel: null },
  { name: "Lanczos", sharpKernel: "lanczos3" },
  { name: "Nearest", sharpKernel: "nearest" },
] as const;

export type UpscalerName = (typeof UPSCALERS)[number]["name"];

export const LATENT_UPSCALE_MODES = [
  { name: "Latent", mode: "bilinear", antialias: false },
  { name: "Latent (antialiased)", mode: "bilinear", antialias: true },
  { name: "Latent (bicubic)", mode: "bicubic", antialias: false },
  { name: "Latent (bicubic antialiased)", mode: "bicubic", antialias: true },
  { name: "Latent (nearest)", mode: "nearest", antialias: false },
  { name: "Latent (nearest-exact)", mode: "nearest-exact", antialias: false },
] as const;

export const findUpscaler = (name: string) => UPSCALERS.find((u) => u.name.toLowerCase() === name.trim().toLowerCase());
export const findLatentUpscaleMode = (name: string) =>
  LATENT_UPSCALE_MODES.find((m) => m.name.toLowerCase() === name.trim().toLowerCase());

/**
 * The resampling kernel of an image upscaler used to enlarge (hires fix). "None" means no model upscaler; A1111 then
 * still resizes to the target size with Lanczos (`images.resize_image`).
 */
export function imageUpscalerKernel(name: string): "lanczos3" | "nearest" {
  return findUpscaler(name)?.sharpKernel === "nearest" ? "nearest" : "lanczos3";
}
