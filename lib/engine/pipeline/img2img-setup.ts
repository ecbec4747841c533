/**
 * img2img's and inpainting's preparation, once per generation, as A1111 v1.10's
 * `StableDiffusionProcessingImg2Img.init` does it (modules/processing.py; docs/engine.md "Inpainting"):
 *
 * 1. the mask: binary mask from the client's image (alpha of a transparent RGBA, else luma), inverted, Gaussian
 *    blur; "Whole picture" resizes it to the generation size and keeps a doubled copy as the overlay mask; "Only
 *    masked" crops the padded box around it (grown to the generation's aspect) and resizes that box;
 * 2. each init image: resized with the request's resize mode (not in "Only masked"), its unmasked pixels kept as an
 *    overlay, cropped to the box, and "fill" paints the masked area with blurred surroundings;
 * 3. VAE encoding (× scaling factor), a latent resize for resize mode 3, and the latent mask: the mask resized to the
 *    latent grid with BICUBIC and rounded. "latent noise" puts the first batch's initial noise under the mask,
 *    "latent nothing" zeros;
 * 4. for inpainting UNets, the image conditioning `[mask, VAE(image · (1 − w·mask))]` (`inpainting_image_conditioning`).
 *
 * Every pixel operation is the Pillow/OpenCV reproduction in lib/engine/image/, so the images handed to the VAE are
 * the ones A1111 hands it. The VAE posterior mean stands in for A1111's posterior sample (unseeded there).
 */
import { PlanError } from "../errors.ts";
import { interpolateLatents } from "../image/latent-interpolate.ts";
import {
  applyOverlay,
  blurMask,
  createBinaryMask,
  latentMask,
  overlayImage,
  wholePictureOverlayMask,
  type PasteLocation,
} from "../image/inpaint-processing.ts";
import { expandCropRegion, fill, getCropRegionV2 } from "../image/masking.ts";
import { convert, invert } from "../image/pil-convert.ts";
import { crop, pilImage, type Box, type PilImage } from "../image/pil-image.ts";
import { resizeImage, type ResizeMode } from "../image/resize-image.ts";
import type { DiffusionModel, Shape4 } from "../model/index.ts";
import type { Img2ImgSpec, InpaintSpec, RgbImage } from "../plan.ts";
import { ImageRNG } from "../rng/image-rng.ts";
import type { RandnSource } from "../rng/source.ts";
import type { Seed } from "../rng/seed.ts";
import { rgbToTensor } from "./pixels.ts";

export interface Img2ImgSetup {
  /** [B, C, h, w]: the scaled init latent, with "latent noise"/"latent nothing" applied under the mask. */
  readonly initLatent: Float32Array;
  /** [h·w]: 1 where sampling repaints, 0 where the init latent is kept (A1111 `nmask`); null without a mask. */
  readonly nmask: Float32Array | null;
  /** Inpainting UNets: [B, 1 + C, h, w], the mask then the masked image's latent; null for other UNets. */
  readonly imageConditioning: Float32Array | null;
  /** Per image of a batch (RGBA): the original pixels outside the mask, composited over the result; or null. */
  readonly overlays: readonly PilImage[] | null;
  /** "Only masked": where the generated box goes back into the original image. */
  readonly pasteTo: PasteLocation | null;
  /** "Only masked" with an all-black mask: A1111 generates the whole image as plain img2img. */
  readonly blankMask: boolean;
}

export interface Img2ImgSetupOptions {
  readonly width: number;
  readonly height: number;
  readonly batchSize: number;
  /** The first batch's seeds ("latent noise" draws from them, as A1111 does for every batch). */
  readonly firstSeeds: readonly Seed[];
  readonly noiseSource: RandnSource;
  /** opts.inpainting_mask_weight (inpainting UNets only). */
  readonly maskWeight: number;
}

/** `images.resize_image` treats every mode but 0 and 1 as "Resize and fill" (mode 3 included). */
const pixelResizeMode = (mode: Img2ImgSpec["resizeMode"]): ResizeMode => (mode === 0 || mode === 1 ? mode : 2);

interface ProcessedMask {
  /** The mask at the generation size (A1111 `image_mask`), or null (no mask, or a blank "Only masked" one). */
  readonly imageMask: PilImage | null;
  readonly maskForOverlay: PilImage | null;
  readonly cropRegion: Box | null;
  readonly pasteTo: PasteLocation | null;
  readonly blankMask: boolean;
}

function processMask(inpaint: InpaintSpec, resizeMode: Img2ImgSpec["resizeMode"], width: number, height: number): ProcessedMask {
  let mask = createBinaryMask(inpaint.mask, inpaint.round);
  if (inpaint.invert) mask = invert(mask);
  mask = blurMask(mask, inpaint.blurX, inpaint.blurY);
  if (!inpaint.onlyMasked) {
    const imageMask = resizeImage(pixelResizeMode(resizeMode), mask, width, height);
    return { imageMask, maskForOverlay: wholePictureOverlayMask(imageMask), cropRegion: null, pasteTo: null, blankMask: false };
  }
  const region = getCropRegionV2(mask, inpaint.onlyMasked.padding);
  if (!region) return { imageMask: null, maskForOverlay: null, cropRegion: null, pasteTo: null, blankMask: true };
  const cropRegion = expandCropRegion(region, width, height, mask.width, mask.height);
  const [x1, y1, x2, y2] = cropRegion;
  return {
    imageMask: resizeImage(2, crop(mask, cropRegion), width, height),
    maskForOverlay: mask,
    cropRegion,
    pasteTo: [x1, y1, x2 - x1, y2 - y1],
    blankMask: false,
  };
}

const sameSize = (a: PilImage, b: { width: number; height: number }) => a.width === b.width && a.height === b.height;

/** The images as the VAE sees them, and their overlays (`init`'s loop over `init_images`). */
function processImages(spec: Img2ImgSpec, mask: ProcessedMask, width: number, height: number) {
  const inpaint = spec.inpaint;
  const latentMaskImage = inpaint?.latentMask ?? mask.imageMask;
  let maskForOverlay = mask.maskForOverlay;
  const overlays: PilImage[] = [];
  const images = spec.images.map((source: RgbImage, index) => {
    let image = pilImage("RGB", source.width, source.height, source.data);
    if (mask.cropRegion === null && spec.resizeMode !== 3) image = resizeImage(spec.resizeMode, image, width, height);
    if (mask.imageMask !== null && maskForOverlay !== null) {
      if (!sameSize(maskForOverlay, image)) maskForOverlay = resizeImage(pixelResizeMode(spec.resizeMode), maskForOverlay, image.width, image.height);
      overlays.push(overlayImage(image, maskForOverlay));
    }
    if (mask.cropRegion !== null) image = resizeImage(2, crop(image, mask.cropRegion), width, height);
    if (mask.imageMask !== null && inpaint && inpaint.fill !== "original" && latentMaskImage !== null) {
      if (!sameSize(latentMaskImage, image)) {
        throw new PlanError(
          inpaint.latentMask ? "img2img.latentMask" : "img2img.mask",
          `init image ${index} is ${image.width}x${image.height} as sampled, but the ${inpaint.latentMask ? "latent mask" : "mask"} is ${latentMaskImage.width}x${latentMaskImage.height}: masked content "${inpaint.fill}" needs them equal (with resize mode 3, send an init image of the generation size)`,
        );
      }
      image = fill(image, latentMaskImage);
    }
    return image;
  });
  return { images, overlays: mask.imageMask !== null ? overlays : null, latentMaskImage };
}

/** RGB images → [B, 3, H, W] in [−1, 1], as A1111's `x / 255` then `2x − 1` in float32. */
function toTensor(images: readonly PilImage[]): Float32Array {
  const { width, height } = images[0]!;
  const out = new Float32Array(images.length * 3 * width * height);
  images.forEach((image, i) => rgbToTensor(image.data, out, i, width, height));
  return out;
}

/** The VAE's latent for pixels [n, 3, H, W], scaled: the posterior mean, or the export's own sample. */
export async function encodePixels(model: DiffusionModel, pixels: Float32Array, shape: Shape4): Promise<{ latent: Float32Array; shape: Shape4 }> {
  const encoded = await model.encodeImage(pixels, shape);
  const latent = encoded.kind === "parameters" ? encoded.mean : encoded.sample;
  return { latent: latent.map((v) => v * model.facts.vaeScalingFactor), shape: encoded.shape };
}

/** One image after another (A1111 encodes a batch image by image), stacked to [n, C, h, w]. */
async function encodeImages(model: DiffusionModel, images: readonly PilImage[]): Promise<{ latent: Float32Array; shape: Shape4 }> {
  const parts: Float32Array[] = [];
  let shape: Shape4 = [0, 0, 0, 0];
  for (const image of images) {
    const encoded = await encodePixels(model, toTensor([image]), [1, 3, image.height, image.width]);
    parts.push(encoded.latent);
    shape = encoded.shape;
  }
  const latent = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.forEach((p, i) => latent.set(p, i * p.length));
  return { latent, shape: [images.length, shape[1], shape[2], shape[3]] };
}

/** Repeats one image's planes `count` times (a single init image serves the whole batch). */
function repeat(values: Float32Array, count: number): Float32Array {
  const out = new Float32Array(values.length * count);
  for (let i = 0; i < count; i++) out.set(values, i * values.length);
  return out;
}

/** torch.lerp(start, end, w) in float32: `start + w·(end − start)` below w = 0.5, `end − (end − start)·(1 − w)` from it. */
function lerp(start: number, end: number, w: number): number {
  const f = Math.fround;
  return w < 0.5 ? f(start + f(w * f(end - start))) : f(end - f(f(end - start) * f(1 - w)));
}

/**
 * A1111's `inpainting_image_conditioning(source_image, latent_image, image_mask)` for one batch: the mask (L,
 * /255, rounded when `round`; all ones without a mask) lerps the [−1, 1] images towards `image · (1 − mask)` by
 * `maskWeight`, the result is VAE-encoded, and the mask, resized to the latent grid with torch's "nearest", is
 * prepended as channel 0. Returns [B, 1 + C, h, w].
 */
export async function inpaintingConditioning(
  model: DiffusionModel,
  pixels: Float32Array,
  pixelShape: Shape4,
  mask: PilImage | null,
  round: boolean,
  maskWeight: number,
): Promise<Float32Array> {
  const [batch, , height, width] = pixelShape;
  const plane = width * height;
  const maskValues = new Float32Array(plane).fill(1);
  if (mask !== null) {
    const gray = convert(mask, "L").data;
    for (let i = 0; i < plane; i++) {
      const v = Math.fround(gray[i]! / 255);
      maskValues[i] = round ? (v > 0.5 ? 1 : 0) : v;
    }
  }
  const conditioningImage = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const start = pixels[i]!;
    conditioningImage[i] = lerp(start, Math.fround(start * Math.fround(1 - maskValues[i % plane]!)), maskWeight);
  }
  const images: Float32Array[] = [];
  let latentShape: Shape4 = [0, 0, 0, 0];
  for (let b = 0; b < batch; b++) {
    const encoded = await encodePixels(model, conditioningImage.subarray(b * 3 * plane, (b + 1) * 3 * plane), [1, 3, height, width]);
    images.push(encoded.latent);
    latentShape = encoded.shape;
  }
  const [, channels, h, w] = latentShape;
  const latentMaskPlane = interpolateLatents(maskValues, [1, 1, height, width], [h, w], "nearest");
  const out = new Float32Array(batch * (1 + channels) * h * w);
  for (let b = 0; b < batch; b++) {
    const base = b * (1 + channels) * h * w;
    out.set(latentMaskPlane, base);
    out.set(images[b]!, base + h * w);
  }
  return out;
}

/** What A1111 would fail on (Pillow refuses to paste through a mask of another size), found before any work. */
export function checkImg2Img(spec: Img2ImgSpec, width: number, height: number): void {
  const inpaint = spec.inpaint;
  if (!inpaint) return;
  if (inpaint.onlyMasked) {
    const { mask } = inpaint;
    const mismatched = spec.images.find((image) => image.width !== mask.width || image.height !== mask.height);
    if (mismatched) {
      throw new PlanError(
        "img2img.mask",
        `the mask is ${mask.width}x${mask.height} but an init image is ${mismatched.width}x${mismatched.height}; "Only masked" (inpaint_full_res) crops both at the mask's box, so they must be the same size`,
      );
    }
  } else if (spec.resizeMode === 3 && !spec.images.every((image) => image.width === width && image.height === height)) {
    throw new PlanError("img2img.mask", "inpainting with resize mode 3 (latent) needs init images of the generation size; use resize mode 0, 1 or 2");
  }
}

/** The pixel half of `init`: what the VAE will see, and what goes back over the result. No model needed. */
export interface PixelSetup {
  /** The images the VAE encodes (generation size, except resize mode 3 without a mask box). */
  readonly images: readonly PilImage[];
  /** Per image of a batch (RGBA), or null without a mask. */
  readonly overlays: readonly PilImage[] | null;
  readonly pasteTo: PasteLocation | null;
  readonly blankMask: boolean;
  /** The mask at the generation size (A1111 `image_mask`), or null. */
  readonly imageMask: PilImage | null;
  /** The mask the latent blend and "fill" use (`latent_mask`, else `image_mask`). */
  readonly latentMaskImage: PilImage | null;
}

export function preparePixels(spec: Img2ImgSpec, width: number, height: number, batchSize: number): PixelSetup {
  const mask: ProcessedMask = spec.inpaint
    ? processMask(spec.inpaint, spec.resizeMode, width, height)
    : { imageMask: null, maskForOverlay: null, cropRegion: null, pasteTo: null, blankMask: false };
  const processed = processImages(spec, mask, width, height);
  const overlays =
    processed.overlays && processed.overlays.length === 1 ? Array.from({ length: batchSize }, () => processed.overlays![0]!) : processed.overlays;
  return {
    images: processed.images,
    overlays: overlays && overlays.length > 0 ? overlays : null,
    pasteTo: mask.pasteTo,
    blankMask: mask.blankMask,
    imageMask: mask.imageMask,
    latentMaskImage: mask.imageMask === null ? null : processed.latentMaskImage,
  };
}

/** A1111 `apply_overlay`: the generated box pasted back ("Only masked"), then the original unmasked pixels on top. */
export function overlayResult(image: RgbImage, overlay: PilImage, pasteTo: PasteLocation | null): RgbImage {
  const result = applyOverlay(pilImage("RGB", image.width, image.height, image.data), pasteTo, overlay).image;
  return { data: result.data, width: result.width, height: result.height };
}

/** A1111 `init` for img2img and inpainting (see the module comment). */
export async function prepareImg2Img(model: DiffusionModel, spec: Img2ImgSpec, options: Img2ImgSetupOptions): Promise<Img2ImgSetup> {
  const { width, height, batchSize } = options;
  const inpaint = spec.inpaint;
  const processed = preparePixels(spec, width, height, batchSize);
  const mask = processed;
  const encoded = await encodeImages(model, processed.images);
  const [, channels, h0, w0] = encoded.shape;
  const [h, w] = [height / 8, width / 8];
  let latent = encoded.latent;
  if (h0 !== h || w0 !== w) latent = interpolateLatents(latent, encoded.shape, [h, w], "bilinear");
  let initLatent = processed.images.length === 1 ? repeat(latent, batchSize) : latent;

  let nmask: Float32Array | null = null;
  if (inpaint && processed.latentMaskImage !== null) {
    nmask = latentMask(processed.latentMaskImage, w, h, inpaint.round);
    if (inpaint.fill === "latent noise" || inpaint.fill === "latent nothing") {
      const noise =
        inpaint.fill === "latent noise"
          ? new ImageRNG({ shape: [channels, h, w], seeds: options.firstSeeds.slice(0, batchSize), source: options.noiseSource }).first()
          : null;
      const plane = h * w;
      const filled = new Float32Array(initLatent.length);
      for (let i = 0; i < filled.length; i++) {
        const n = nmask[i % plane]!;
        // A1111: init · mask + noise · nmask, with mask = 1 − nmask (float32 tensors).
        filled[i] = Math.fround(Math.fround(initLatent[i]! * Math.fround(1 - n)) + (noise ? Math.fround(noise[i]! * n) : 0));
      }
      initLatent = filled;
    }
  }

  let imageConditioning: Float32Array | null = null;
  if (model.facts.unetInChannels !== model.facts.latentChannels) {
    const pixels = toTensor(processed.images);
    const conditioning = await inpaintingConditioning(
      model,
      pixels,
      [processed.images.length, 3, height, width],
      mask.imageMask,
      inpaint?.round ?? true,
      options.maskWeight,
    );
    imageConditioning = processed.images.length === 1 ? repeat(conditioning, batchSize) : conditioning;
  }

  return { initLatent, nmask, imageConditioning, overlays: processed.overlays, pasteTo: mask.pasteTo, blankMask: mask.blankMask };
}

/**
 * A1111's `txt2img_image_conditioning` for inpainting UNets: the whole image masked (mask 1) over an all-grey
 * image (0.5, which is 0 in [−1, 1]), VAE-encoded. Returns [B, 1 + C, h, w] for `pixelShape` [B, 3, H, W].
 */
export async function maskedEverywhereConditioning(model: DiffusionModel, pixelShape: Shape4): Promise<Float32Array> {
  const [batch, , height, width] = pixelShape;
  const one = await inpaintingConditioning(model, new Float32Array(3 * height * width), [1, 3, height, width], null, true, 1);
  return repeat(one, batch);
}
