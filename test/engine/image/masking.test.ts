import { describe, expect, it } from "vitest";
import {
  applyOverlay,
  blurMask,
  createBinaryMask,
  latentMask,
  overlayImage,
  wholePictureOverlayMask,
} from "../../../lib/engine/image/inpaint-processing.ts";
import type { PasteLocation } from "../../../lib/engine/image/inpaint-processing.ts";
import { expandCropRegion, fill, getCropRegion, getCropRegionV2 } from "../../../lib/engine/image/masking.ts";
import { convert, invert } from "../../../lib/engine/image/pil-convert.ts";
import { crop } from "../../../lib/engine/image/pil-image.ts";
import type { Box, PilImage } from "../../../lib/engine/image/pil-image.ts";
import { flatten, resizeImage } from "../../../lib/engine/image/resize-image.ts";
import type { ResizeMode } from "../../../lib/engine/image/resize-image.ts";
import { buildImage, digest, digestBytes, loadVectors } from "./fixtures.ts";

interface InitArgs {
  readonly width: number;
  readonly height: number;
  readonly mask_blur_x: number;
  readonly mask_blur_y: number;
  readonly inpaint_full_res: boolean;
  readonly padding: number;
  readonly resize_mode: ResizeMode;
  readonly inpainting_fill: number;
  readonly invert?: boolean;
}

interface InitOut {
  readonly image: string;
  readonly overlay: string | null;
  readonly latent_mask: string | null;
  readonly latmask: string | null;
  readonly paste_to: PasteLocation | null;
  readonly decoded: string;
  readonly final: string;
  readonly before_overlay: string;
}

interface MaskingCase {
  readonly op: string;
  readonly what?: string;
  readonly in: readonly (string | number)[];
  readonly pad?: number;
  readonly mode?: ResizeMode;
  readonly size?: [number, number];
  readonly background?: [number, number, number];
  readonly round?: boolean;
  readonly args?: InitArgs;
  readonly out: unknown;
}

// A1111 v1.10's own functions run on Pillow 9.4 / OpenCV 4.6; the file's `source` says which.
const vectors = loadVectors<MaskingCase>("masking");
const casesOf = (op: string) => vectors.cases.filter((c) => c.op === op);
const spec = (c: MaskingCase, i = 0) => c.in[i] as string;

describe("get_crop_region_v2 and get_crop_region", () => {
  for (const c of casesOf("get_crop_region_v2")) {
    it(`v2: ${spec(c)} pad ${c.pad}`, () => expect(getCropRegionV2(buildImage(spec(c)), c.pad)).toEqual(c.out));
  }
  for (const c of casesOf("get_crop_region")) {
    it(`v1: ${spec(c)} pad ${c.pad}`, () => expect(getCropRegion(buildImage(spec(c)), c.pad)).toEqual(c.out));
  }
});

describe("expand_crop_region", () => {
  for (const c of casesOf("expand_crop_region")) {
    const [x1, y1, x2, y2, pw, ph, iw, ih] = c.in as number[];
    it(`(${x1}, ${y1}, ${x2}, ${y2}) for ${pw}x${ph} in ${iw}x${ih}`, () => {
      expect(expandCropRegion([x1!, y1!, x2!, y2!], pw!, ph!, iw!, ih!)).toEqual(c.out);
    });
  }
});

describe("images.resize_image (LANCZOS, no upscaler) and images.flatten", () => {
  for (const c of casesOf("resize_image")) {
    it(`mode ${c.mode}: ${spec(c)} → ${c.size!.join("x")}`, () => {
      expect(digest(resizeImage(c.mode!, buildImage(spec(c)), c.size![0], c.size![1]))).toBe(c.out);
    });
  }
  for (const c of casesOf("flatten")) {
    it(`${spec(c)} on ${c.background!.join(",")}`, () => {
      expect(digest(flatten(buildImage(spec(c)), c.background!))).toBe(c.out);
    });
  }
});

/** The masks the fill vectors name: a fixture, optionally blurred as A1111 blurs (4, 4), optionally as RGB. */
function fillMask(description: string): PilImage {
  const [shape, extra] = description.split(" blurred 4");
  const mask = buildImage(shape!.trim());
  if (extra === undefined) return mask;
  const blurred = blurMask(mask, 4, 4);
  return extra.includes("as RGB") ? convert(blurred, "RGB") : blurred;
}

describe("masking.fill", () => {
  for (const c of casesOf("fill")) {
    it(`${spec(c)} under ${spec(c, 1)}`, () => {
      expect(digest(fill(buildImage(spec(c)), fillMask(spec(c, 1))))).toBe(c.out);
    });
  }
});

describe("create_binary_mask", () => {
  for (const c of casesOf("create_binary_mask")) {
    it(`${spec(c)} round ${c.round}`, () => {
      const source = buildImage(spec(c).replace(" with alpha 255", ""));
      if (spec(c).endsWith("with alpha 255")) for (let i = 3; i < source.data.length; i += 4) source.data[i] = 255;
      expect(digest(createBinaryMask(source, c.round))).toBe(c.out);
    });
  }
});

/**
 * The pixel steps of `StableDiffusionProcessingImg2Img.init` for one init image, in A1111's order, then
 * `apply_overlay` on a stand-in for the decoded sample.
 */
function inpaintInit(image: PilImage, maskImage: PilImage, args: InitArgs, decoded: PilImage): InitOut {
  const { width, height } = args;
  let mask: PilImage | null = createBinaryMask(maskImage, true);
  if (args.invert) mask = invert(mask);
  mask = blurMask(mask, args.mask_blur_x, args.mask_blur_y);

  let overlayMask: PilImage | null;
  let cropRegion: Box | null = null;
  let pasteTo: PasteLocation | null = null;
  if (args.inpaint_full_res) {
    overlayMask = mask;
    const region = getCropRegionV2(mask, args.padding);
    if (region) {
      cropRegion = expandCropRegion(region, width, height, mask.width, mask.height);
      const [x1, y1, x2, y2] = cropRegion;
      mask = resizeImage(2, crop(mask, cropRegion), width, height);
      pasteTo = [x1, y1, x2 - x1, y2 - y1];
    } else {
      mask = null;
      overlayMask = null;
    }
  } else {
    mask = resizeImage(args.resize_mode, mask, width, height);
    overlayMask = wholePictureOverlayMask(mask);
  }

  let init = flatten(image, [255, 255, 255]);
  if (!cropRegion) init = resizeImage(args.resize_mode, init, width, height);
  let overlay: PilImage | null = null;
  if (mask && overlayMask) {
    if (overlayMask.width !== init.width || overlayMask.height !== init.height) {
      overlayMask = resizeImage(args.resize_mode, overlayMask, init.width, init.height);
    }
    overlay = overlayImage(init, overlayMask);
  }
  if (cropRegion) init = resizeImage(2, crop(init, cropRegion), width, height);
  if (mask && args.inpainting_fill !== 1) init = fill(init, mask);

  const latmask = mask ? latentMask(mask, width / 8, height / 8, true) : null;
  const latmaskBytes = latmask && new Uint8Array(latmask.buffer);
  const after = applyOverlay(decoded, pasteTo, overlay);
  return {
    image: digest(init),
    overlay: overlay && digest(overlay),
    latent_mask: mask && digest(mask),
    latmask: latmaskBytes && digestBytes("F32", (width / 8) * 4, height / 8, latmaskBytes),
    paste_to: pasteTo,
    decoded: "",
    final: digest(after.image),
    before_overlay: digest(after.beforeOverlay),
  };
}

describe("the inpainting pixel steps of StableDiffusionProcessingImg2Img.init and apply_overlay, end to end", () => {
  for (const c of casesOf("inpaint_init")) {
    it(`${c.what}`, () => {
      const expected = c.out as InitOut;
      const got = inpaintInit(buildImage(spec(c)), buildImage(spec(c, 1)), c.args!, buildImage(expected.decoded));
      expect(got).toEqual({ ...expected, decoded: "" });
    });
  }
});
