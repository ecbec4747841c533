/**
 * img2img's init latent for one batch: each init image resized to the generation size (or kept at its own size
 * for resize mode 3, whose latent is then resized), VAE-encoded and scaled (A1111
 * `StableDiffusionProcessingImg2Img.init`). The posterior mean is used where the export gives the distribution;
 * A1111 samples it with the global torch RNG, which is not reproducible across machines anyway.
 */
import type { DiffusionModel } from "../model/index.ts";
import type { Img2ImgSpec, RgbImage } from "../plan.ts";
import { prepareInitImage } from "./init-images.ts";
import { resizeLatentBilinear } from "./latent-resize.ts";
import { rgbToTensor } from "./pixels.ts";

async function encodeOne(model: DiffusionModel, image: RgbImage, resizeMode: number, width: number, height: number) {
  const rgb = await prepareInitImage(image, resizeMode, width, height);
  const pixels = new Float32Array(3 * rgb.width * rgb.height);
  rgbToTensor(rgb.data, pixels, 0, rgb.width, rgb.height);
  const encoded = await model.encodeImage(pixels, [1, 3, rgb.height, rgb.width]);
  const [, channels, h, w] = encoded.shape;
  let latent = encoded.kind === "parameters" ? encoded.mean : encoded.sample;
  const [outH, outW] = [height / 8, width / 8];
  if (h !== outH || w !== outW) latent = resizeLatentBilinear(latent, 1, channels, h, w, outH, outW);
  return latent.map((v) => v * model.facts.vaeScalingFactor);
}

/** Latents [batch, C, h, w] for one batch at `width` × `height`: one image repeated, or one per image. */
export async function encodeInitLatents(
  model: DiffusionModel,
  spec: Img2ImgSpec,
  batchSize: number,
  width: number,
  height: number,
): Promise<Float32Array> {
  const { images } = spec;
  const latents = await Promise.all(images.map((image) => encodeOne(model, image, spec.resizeMode, width, height)));
  const perImage = latents[0]!.length;
  const batch = new Float32Array(perImage * batchSize);
  for (let i = 0; i < batchSize; i++) batch.set(latents[images.length === 1 ? 0 : i]!, i * perImage);
  return batch;
}
