import { describe, expect, it } from "vitest";
import { alphaComposite, composite, paste } from "../../../lib/engine/image/pil-composite.ts";
import { convert, invert, luma, mulDiv255 } from "../../../lib/engine/image/pil-convert.ts";
import { crop, getBbox, newImage } from "../../../lib/engine/image/pil-image.ts";
import type { Box, PilImage, PilMode } from "../../../lib/engine/image/pil-image.ts";
import { buildImage, digest, loadVectors } from "./fixtures.ts";

interface PixelCase {
  readonly op: string;
  readonly in: readonly string[];
  readonly mode?: PilMode;
  readonly via?: "RGBa";
  readonly box?: readonly number[];
  readonly alpha?: string;
  readonly out: string | readonly number[] | null;
}

// Pillow 9.4 outputs (the file's `source` names the calls); Convert.c, Paste.c, AlphaComposite.c and GetBBox.c
// are unchanged in 9.5.
const vectors = loadVectors<PixelCase>("pixels");
const casesOf = (op: string) => vectors.cases.filter((c) => c.op === op);
const build = (spec: string, via?: "RGBa") => (via ? convert(buildImage(spec), via) : buildImage(spec));

describe("convert matches Image.convert", () => {
  for (const c of casesOf("convert")) {
    it(`${c.via ? "RGBa from " : ""}${c.in[0]} → ${c.mode}`, () => {
      expect(digest(convert(build(c.in[0]!, c.via), c.mode!))).toBe(c.out);
    });
  }

  it("uses Pillow's integer luma and MULDIV255 (Convert.c)", () => {
    // L24: (r·19595 + g·38470 + b·7471 + 0x8000) >> 16; 128·128/255 = 64.25 rounds to 64.
    expect(luma(255, 255, 255)).toBe(255);
    expect(luma(255, 0, 0)).toBe(76);
    expect(luma(0, 255, 0)).toBe(150);
    expect(luma(0, 0, 255)).toBe(29);
    expect(mulDiv255(128, 128)).toBe(64);
    expect(mulDiv255(255, 7)).toBe(7);
  });

  it("refuses L→RGBa and RGB→RGBa as Pillow does", () => {
    expect(() => convert(newImage("L", 2, 2), "RGBa")).toThrow(/not supported/);
    expect(() => convert(newImage("RGB", 2, 2), "RGBa")).toThrow(/not supported/);
  });
});

describe("invert matches ImageOps.invert", () => {
  for (const c of casesOf("invert")) {
    it(c.in[0]!, () => expect(digest(invert(buildImage(c.in[0]!)))).toBe(c.out));
  }
  it("rejects modes ImageOps.invert rejects", () => {
    expect(() => invert(newImage("RGBA", 1, 1))).toThrow(/not supported/);
  });
});

describe("crop matches Image.crop, zero outside the image", () => {
  for (const c of casesOf("crop")) {
    it(`${c.in[0]} box ${c.box!.join(",")}`, () => {
      expect(digest(crop(buildImage(c.in[0]!), c.box as unknown as Box))).toBe(c.out);
    });
  }
});

describe("paste matches Image.paste", () => {
  for (const c of casesOf("paste")) {
    it(`${c.in[1]} onto ${c.in[0]} at ${c.box!.join(",")}${c.in[2] ? ` through ${c.in[2]}` : ""}`, () => {
      const target = build(c.in[0]!, c.via);
      const source = build(c.in[1]!, c.via);
      const mask = c.in[2] === undefined ? undefined : buildImage(c.in[2]);
      const box = c.box as [number, number] | Box;
      expect(digest(paste(target, source, box, mask))).toBe(c.out);
    });
  }

  it("leaves its arguments unchanged", () => {
    const target = buildImage("noise RGB 8x8 #1");
    const before = digest(target);
    paste(target, buildImage("noise RGB 3x3 #2"), [1, 1]);
    expect(digest(target)).toBe(before);
  });

  it("rejects a box whose size differs from the source's", () => {
    expect(() => paste(newImage("RGB", 8, 8), newImage("RGB", 3, 3), [0, 0, 4, 3])).toThrow(/do not match/);
  });
});

describe("alpha_composite and composite match Pillow", () => {
  for (const c of casesOf("alpha_composite")) {
    it(`${c.in[1]} over ${c.in[0]}${c.alpha ? ` (alpha ${c.alpha})` : ""}`, () => {
      const src = buildImage(c.in[1]!);
      if (c.alpha) {
        // Every third pixel fully transparent, the next fully opaque, the next keeps its own alpha.
        for (let y = 0; y < src.height; y++) {
          for (let x = 0; x < src.width; x++) {
            const k = (x + y) % 3;
            if (k < 2) src.data[(y * src.width + x) * 4 + 3] = k === 0 ? 0 : 255;
          }
        }
      }
      expect(digest(alphaComposite(buildImage(c.in[0]!), src))).toBe(c.out);
    });
  }
  for (const c of casesOf("composite")) {
    it(`composite(${c.in.join(", ")})`, () => {
      expect(digest(composite(buildImage(c.in[0]!), buildImage(c.in[1]!), buildImage(c.in[2]!)))).toBe(c.out);
    });
  }
});

describe("getbbox matches Image.getbbox", () => {
  const fromFixture = casesOf("getbbox").filter((c) => /^(rect|ellipse) /.test(c.in[0]!));
  for (const c of fromFixture) {
    it(c.in[0]!, () => expect(getBbox(buildImage(c.in[0]!))).toEqual(c.out));
  }

  const withPixels = (mode: PilMode, fill: number[], pixels: Array<[number, number, number[]]>): PilImage => {
    const image = newImage(mode, 9, 6, fill);
    for (const [x, y, value] of pixels) image.data.set(value, (y * 9 + x) * value.length);
    return image;
  };
  it("counts any non-zero colour band in RGB", () => {
    const expected = vectors.cases.find((c) => c.op === "getbbox" && c.in[0]!.startsWith("RGB "))!.out;
    const image = withPixels("RGB", [0, 0, 0], [[4, 2, [0, 0, 1]], [7, 4, [0, 3, 0]]]);
    expect(getBbox(image)).toEqual(expected);
  });
  it("counts only alpha in RGBA", () => {
    const expected = vectors.cases.find((c) => c.op === "getbbox" && c.in[0]!.startsWith("RGBA "))!.out;
    const image = withPixels("RGBA", [255, 255, 255, 0], [[2, 1, [0, 0, 0, 1]], [5, 3, [0, 0, 0, 9]]]);
    expect(getBbox(image)).toEqual(expected);
  });
});
