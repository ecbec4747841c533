/** Whole-image pixel operations that copy PIL's: paste onto a canvas and blend (libImaging/Paste.c, Blend.c). */
import { describe, expect, it } from "vitest";
import { blendPixels, pasteOnCanvas, resizePixels, type Pixels } from "../../../lib/a1111/images/raw.ts";

const grey = (width: number, height: number, values: number[]): Pixels => ({
  data: Buffer.from(values.flatMap((v) => [v, v, v])),
  width,
  height,
  channels: 3,
});
const firstChannel = (p: Pixels) => [...p.data].filter((_, i) => i % 3 === 0);

describe("pasteOnCanvas (PIL canvas.paste(image, (x, y)) on a black canvas)", () => {
  const src = grey(2, 2, [1, 2, 3, 4]);

  it("places the image's top-left at (x, y)", () => {
    expect(firstChannel(pasteOnCanvas(src, 3, 3, 1, 1))).toEqual([0, 0, 0, 0, 1, 2, 0, 3, 4]);
  });

  it("cuts off what falls outside, on every side", () => {
    expect(firstChannel(pasteOnCanvas(src, 3, 3, -1, -1))).toEqual([4, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(firstChannel(pasteOnCanvas(src, 3, 3, 2, 2))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(firstChannel(pasteOnCanvas(src, 2, 2, 5, 0))).toEqual([0, 0, 0, 0]);
  });
});

describe("blendPixels (PIL Image.blend)", () => {
  it("computes (UINT8)(a + alpha·(b − a)) in float32, truncating", () => {
    const a = grey(3, 1, [0, 255, 25]);
    const b = grey(3, 1, [255, 0, 0]);
    // 127.5 truncates to 127 both ways (rounding would give 128).
    expect(firstChannel(blendPixels(a, b, 0.5)).slice(0, 2)).toEqual([127, 127]);
    // 0.6f·(0 − 25) = −15.000001 in float32, 25 − 15.000001 = 9.999999, truncated to 9 (in double it is 10).
    expect(firstChannel(blendPixels(a, b, 0.6))[2]).toBe(9);
  });

  it("alpha 0 and 1 give the inputs", () => {
    const a = grey(2, 1, [3, 200]);
    const b = grey(2, 1, [100, 7]);
    expect(blendPixels(a, b, 0).data).toEqual(a.data);
    expect(blendPixels(a, b, 1).data).toEqual(b.data);
  });
});

describe("resizePixels", () => {
  it("returns the same pixels when the size does not change", async () => {
    const src = grey(2, 2, [1, 2, 3, 4]);
    expect(await resizePixels(src, 2, 2)).toBe(src);
  });

  it("nearest doubles each pixel", async () => {
    expect(firstChannel(await resizePixels(grey(2, 1, [10, 20]), 4, 2, "nearest"))).toEqual([10, 10, 20, 20, 10, 10, 20, 20]);
  });
});
