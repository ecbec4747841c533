/**
 * img2img's init latent for one batch: each init image resized to the generation size (or kept at its own size
 * for resize mode 3, whose latent is then resized), VAE-encoded and scaled (A1111
 * `StableDiffusionProcessingImg2Img.init`). The posterior mean is used where the export gives the distribution;
 * A1111 samples it with the global torch RNG, which is not reproducible across machines anyway.
 */
import type { GenerationPlan } from "../../a1111/generation/plan.ts";
import type { Img2ImgRequest } from "../../a1111/schemas/generation.ts";
import type { DiffusionModel } from "../model/index.ts";
import { prepareInitImage } from "./init-images.ts";
import { resizeLatentBilinear } from "./latent-resize.ts";
import { rgbToTensor } from "./pixels.ts";

async function encodeOne(model: DiffusionModel, image: string, index: number, request: Img2ImgRequest, plan: GenerationPlan, background: string) {
  const rgb = await prepareInitImage(image, index, request.resize_mode, plan.outputWidth, plan.outputHeight, background);
  const pixels = new Float32Array(3 * rgb.width * rgb.height);
  rgbToTensor(rgb.data, pixels, 0, rgb.width, rgb.height);
  const encoded = await model.encodeImage(pixels, [1, 3, rgb.height, rgb.width]);
  const [, channels, h, w] = encoded.shape;
  let latent = encoded.kind === "parameters" ? encoded.mean : encoded.sample;
  const [outH, outW] = [plan.outputHeight / 8, plan.outputWidth / 8];
  if (h !== outH || w !== outW) latent = resizeLatentBilinear(latent, 1, channels, h, w, outH, outW);
  return latent.map((v) => v * model.facts.vaeScalingFactor);
}

/** Latents [batch, C, h, w] for one batch: one image repeated, or one per image. */
export async function encodeInitLatents(
  model: DiffusionModel,
  request: Img2ImgRequest,
  plan: GenerationPlan,
  background: string,
): Promise<Float32Array> {
  const images = request.init_images ?? [];
  const latents = await Promise.all(images.map((image, i) => encodeOne(model, image, i, request, plan, background)));
  const perImage = latents[0]!.length;
  const batch = new Float32Array(perImage * plan.batchSize);
  for (let i = 0; i < plan.batchSize; i++) batch.set(latents[images.length === 1 ? 0 : i]!, i * perImage);
  return batch;
}
