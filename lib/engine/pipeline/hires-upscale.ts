/**
 * Hires fix's upscale between the passes (A1111 `sample_hr_pass`): a latent upscale mode resizes the latents with
 * torch-style interpolation; an image upscaler decodes, resizes the pixels and encodes again.
 */
import sharp from "sharp";
import type { DiffusionModel, Shape4 } from "../model/index.ts";
import type { HiresSpec } from "../plan.ts";
import { imageUpscalerKernel } from "../upscalers.ts";
import { interpolateLatents } from "../image/latent-interpolate.ts";
import { rgbToTensor, tensorToRgb } from "./pixels.ts";

export async function upscaleForHires(
  model: DiffusionModel,
  latents: Float32Array,
  shape: Shape4,
  hires: HiresSpec,
): Promise<{ latents: Float32Array; shape: Shape4 }> {
  const [b, c, h, w] = shape;
  const [h2, w2] = [hires.upscaleHeight / 8, hires.upscaleWidth / 8];
  if (hires.upscaler.kind === "latent") {
    // torch.nn.functional.interpolate(samples, size, mode, antialias) as A1111's `sample_hr_pass` calls it.
    const { mode, antialias } = hires.upscaler;
    const resized = interpolateLatents(latents, shape, [h2, w2], mode, { antialias: antialias && (mode === "bilinear" || mode === "bicubic") });
    return { latents: resized, shape: [b, c, h2, w2] };
  }
  const scale = model.facts.vaeScalingFactor;
  const pixels = await model.decodeLatents(latents.map((v) => v / scale), shape);
  const kernel = imageUpscalerKernel(hires.upscaler.name);
  const upscaled = new Float32Array(b * 3 * hires.upscaleHeight * hires.upscaleWidth);
  for (let i = 0; i < b; i++) {
    const rgb = tensorToRgb(pixels, i, w * 8, h * 8);
    const resized = await sharp(rgb, { raw: { width: w * 8, height: h * 8, channels: 3 } })
      .resize(hires.upscaleWidth, hires.upscaleHeight, { fit: "fill", kernel })
      .raw()
      .toBuffer();
    rgbToTensor(resized, upscaled, i, hires.upscaleWidth, hires.upscaleHeight);
  }
  const encoded = await model.encodeImage(upscaled, [b, 3, hires.upscaleHeight, hires.upscaleWidth]);
  const mean = encoded.kind === "parameters" ? encoded.mean : encoded.sample;
  return { latents: mean.map((v) => v * scale), shape: encoded.shape };
}
