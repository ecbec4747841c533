import { describe, expect, it } from "vitest";
import { cvGaussianBlur } from "../../../lib/engine/image/gaussian-blur.ts";
import { alphaComposite, paste } from "../../../lib/engine/image/pil-composite.ts";
import { convert } from "../../../lib/engine/image/pil-convert.ts";
import { getBbox, newImage } from "../../../lib/engine/image/pil-image.ts";
import type { PilMode } from "../../../lib/engine/image/pil-image.ts";
import { pilGaussianBlur } from "../../../lib/engine/image/pil-gaussian-blur.ts";
import { Resampling, resize } from "../../../lib/engine/image/pil-resize.ts";
import { expandCropRegion, fill, getCropRegionV2 } from "../../../lib/engine/image/masking.ts";
import { resizeImage } from "../../../lib/engine/image/resize-image.ts";
import { buildImage } from "./fixtures.ts";

const MODES: PilMode[] = ["L", "RGB", "RGBA"];

describe("resize to the same size", () => {
  for (const mode of MODES) {
    for (const [name, filter] of Object.entries(Resampling)) {
      it(`copies a ${mode} image with ${name}`, () => {
        const image = buildImage(`noise ${mode} 9x7 #3`);
        const out = resize(image, 9, 7, filter);
        expect(out.data).toEqual(image.data);
        expect(out.data).not.toBe(image.data);
      });
    }
  }
});

describe("NEAREST upscaling by whole factors", () => {
  it("repeats every pixel", () => {
    const image = buildImage("noise RGB 5x4 #4");
    const out = resize(image, 10, 12, Resampling.NEAREST);
    for (let y = 0; y < 12; y++) {
      for (let x = 0; x < 10; x++) {
        const s = (Math.floor(y / 3) * 5 + Math.floor(x / 2)) * 3;
        expect(Array.from(out.data.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3))).toEqual(
          Array.from(image.data.subarray(s, s + 3)),
        );
      }
    }
  });
});

describe("premultiplying and back", () => {
  it("keeps alpha, and keeps the colour of opaque pixels", () => {
    const image = buildImage("noise RGBA 16x16 #5");
    const back = convert(convert(image, "RGBa"), "RGBA");
    for (let p = 0; p < image.data.length; p += 4) {
      expect(back.data[p + 3]).toBe(image.data[p + 3]);
      if (image.data[p + 3] === 255) expect(back.data.subarray(p, p + 3)).toEqual(image.data.subarray(p, p + 3));
    }
  });
});

describe("blurring a constant image", () => {
  it("leaves it constant with OpenCV's fixed-point kernels (their taps sum to exactly 256)", () => {
    for (const value of [0, 1, 128, 255]) {
      const data = new Uint8Array(40 * 30).fill(value);
      const out = cvGaussianBlur(data, 40, 30, 1, { kernelWidth: 21, kernelHeight: 17, sigmaX: 4, sigmaY: 3 });
      expect(out.every((v) => v === value)).toBe(true);
    }
  });
  it("leaves it constant with Pillow's extended boxes", () => {
    const image = newImage("RGB", 30, 20, [7, 128, 255]);
    for (const radius of [0.5, 2, 16, 256]) expect(pilGaussianBlur(image, radius).data).toEqual(image.data);
  });
  it("copies a one-pixel image in OpenCV, whatever the kernel", () => {
    const out = cvGaussianBlur(Uint8Array.of(77), 1, 1, 1, { kernelWidth: 21, kernelHeight: 21, sigmaX: 4 });
    expect(Array.from(out)).toEqual([77]);
  });
});

describe("compositing extremes", () => {
  const dst = buildImage("noise RGBA 8x8 #6");
  it("keeps the destination under a transparent source", () => {
    expect(alphaComposite(dst, newImage("RGBA", 8, 8, [9, 9, 9, 0])).data).toEqual(dst.data);
  });
  it("gives the source where it is opaque", () => {
    const src = newImage("RGBA", 8, 8, [10, 200, 30, 255]);
    expect(alphaComposite(dst, src).data).toEqual(src.data);
  });
  it("pastes an unmasked image of the same size as a copy", () => {
    const src = buildImage("noise RGB 8x8 #7");
    expect(paste(buildImage("noise RGB 8x8 #8"), src).data).toEqual(src.data);
  });
});

describe("inpainting helpers", () => {
  it("get_crop_region_v2 without padding is the mask's bounding box", () => {
    const mask = buildImage("ellipse 70x50 30 20 10 7");
    expect(getCropRegionV2(mask, 0)).toEqual(getBbox(mask));
  });

  it("expand_crop_region reaches the processing aspect ratio when the image has room", () => {
    const [x1, y1, x2, y2] = expandCropRegion([200, 200, 264, 216], 512, 512, 1024, 1024);
    expect(x2 - x1).toBe(y2 - y1);
    expect([x1, y1, x2, y2]).toEqual([200, 176, 264, 240]);
  });

  it("fill keeps the unmasked pixels exactly", () => {
    const image = buildImage("smooth RGB 48x32 #9");
    const mask = buildImage("ellipse 48x32 24 16 10 6");
    const out = fill(image, mask);
    const pixel = (data: Uint8Array, i: number) => Array.from(data.subarray(i * 3, i * 3 + 3));
    for (let i = 0; i < mask.data.length; i++) {
      if (mask.data[i] === 0) expect(pixel(out.data, i)).toEqual(pixel(image.data, i));
    }
  });

  it("resize_image gives the requested size, RGB for modes 1 and 2", () => {
    const mask = buildImage("ellipse 70x50 30 20 10 7");
    expect(resizeImage(0, mask, 64, 48)).toMatchObject({ mode: "L", width: 64, height: 48 });
    expect(resizeImage(1, mask, 64, 48)).toMatchObject({ mode: "RGB", width: 64, height: 48 });
    expect(resizeImage(2, mask, 64, 48)).toMatchObject({ mode: "RGB", width: 64, height: 48 });
  });
});

describe("1024 × 1024 images", () => {
  // Bounds far above the measured times (well under a second each on one core) that still catch per-pixel
  // allocation or a quadratic loop.
  it("resizes, blurs and fills in seconds", () => {
    const image = buildImage("smooth RGB 1024x1024 #10");
    const mask = buildImage("ellipse 1024x1024 500 400 300 200");
    const start = performance.now();
    resize(image, 768, 768, Resampling.LANCZOS);
    cvGaussianBlur(mask.data, 1024, 1024, 1, { kernelWidth: 321, kernelHeight: 1, sigmaX: 64 });
    fill(image, mask);
    expect(performance.now() - start).toBeLessThan(20_000);
  });
});
