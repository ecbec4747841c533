import { describe, expect, it } from "vitest";
import { cvGaussianBlur, fixedPointKernel, maskBlurKernelSize } from "../../../lib/engine/image/gaussian-blur.ts";
import { convert } from "../../../lib/engine/image/pil-convert.ts";
import { bandCount, pilImage } from "../../../lib/engine/image/pil-image.ts";
import type { PilImage } from "../../../lib/engine/image/pil-image.ts";
import { extendedBoxRadius, pilBoxBlur, pilGaussianBlur } from "../../../lib/engine/image/pil-gaussian-blur.ts";
import { buildImage, digest, digestBytes, loadVectors } from "./fixtures.ts";

interface BlurCase {
  readonly op: "cv" | "cv-xy" | "pil" | "pil-box";
  readonly in: readonly string[];
  readonly ksize?: [number, number];
  readonly sigma?: number;
  readonly radius?: number;
  readonly via?: "RGBa";
  readonly out: string;
}

// OpenCV 4.6 cv2.GaussianBlur and Pillow 9.4 GaussianBlur/BoxBlur outputs; the file's `source` names the calls.
const vectors = loadVectors<BlurCase>("blur");

/** The vectors' "ellipse-with-noise" mask: the noise where it is below 40, the hard-edged ellipse elsewhere. */
function input(spec: string): PilImage {
  if (spec !== "ellipse-with-noise") return buildImage(spec);
  const mask = buildImage("ellipse 96x72 40 30 25.5 17");
  const noise = buildImage("noise L 96x72 #5");
  return pilImage("L", 96, 72, mask.data.map((v, i) => (noise.data[i]! < 40 ? noise.data[i]! : v)));
}

function cvBlur(image: PilImage, ksize: [number, number], sigma: number): PilImage {
  const options = { kernelWidth: ksize[0], kernelHeight: ksize[1], sigmaX: sigma };
  return { ...image, data: cvGaussianBlur(image.data, image.width, image.height, bandCount(image.mode), options) };
}

describe("cvGaussianBlur matches cv2.GaussianBlur on uint8 arrays", () => {
  for (const c of vectors.cases.filter((v) => v.op === "cv")) {
    it(`${c.in[0]} ksize ${c.ksize!.join("x")} sigma ${c.sigma}`, () => {
      expect(digest(cvBlur(input(c.in[0]!), c.ksize!, c.sigma!))).toBe(c.out);
    });
  }
  for (const c of vectors.cases.filter((v) => v.op === "cv-xy")) {
    it(`${c.in[0]}: (21, 1) then (1, 21), sigma 4, as A1111 blurs a mask`, () => {
      const once = cvBlur(input(c.in[0]!), [21, 1], 4);
      const twice = cvBlur(once, [1, 21], 4);
      expect(digestBytes("L", twice.width, twice.height, twice.data)).toBe(c.out);
    });
  }
});

describe("the fixed-point Gaussian kernel", () => {
  it("has taps that sum to 256 and are symmetric, for every A1111 mask blur", () => {
    for (let blur = 1; blur <= 64; blur++) {
      const taps = fixedPointKernel(maskBlurKernelSize(blur), blur);
      expect(taps.reduce((a, b) => a + b, 0)).toBe(256);
      expect(Array.from(taps)).toEqual(Array.from(taps).reverse());
    }
  });

  it("uses A1111's kernel size 2·int(2.5·blur + 0.5) + 1", () => {
    expect([1, 2, 3, 4, 8, 64].map(maskBlurKernelSize)).toEqual([7, 11, 17, 21, 41, 321]);
  });
});

describe("pilGaussianBlur matches ImageFilter.GaussianBlur", () => {
  for (const c of vectors.cases.filter((v) => v.op === "pil")) {
    it(`${c.via ? "RGBa from " : ""}${c.in[0]} radius ${c.radius}`, () => {
      const image = c.via ? convert(buildImage(c.in[0]!), c.via) : buildImage(c.in[0]!);
      expect(digest(pilGaussianBlur(image, c.radius!))).toBe(c.out);
    });
  }
  for (const c of vectors.cases.filter((v) => v.op === "pil-box")) {
    it(`BoxBlur(${c.radius}) on ${c.in[0]}`, () => {
      expect(digest(pilBoxBlur(buildImage(c.in[0]!), c.radius!))).toBe(c.out);
    });
  }

  it("turns radius 0 into a box of radius 0, which copies", () => {
    expect(extendedBoxRadius(0, 3)).toBe(0);
    const image = buildImage("noise RGB 9x4 #1");
    expect(pilGaussianBlur(image, 0).data).toEqual(image.data);
  });
});
