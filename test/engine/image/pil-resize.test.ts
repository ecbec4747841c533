import { describe, expect, it } from "vitest";
import { Resampling, resize } from "../../../lib/engine/image/pil-resize.ts";
import type { ResamplingFilter } from "../../../lib/engine/image/pil-resize.ts";
import type { Box } from "../../../lib/engine/image/pil-image.ts";
import { buildImage, digest, loadVectors } from "./fixtures.ts";

interface ResizeCase {
  readonly what: string;
  readonly in: string;
  readonly size: [number, number];
  readonly filter?: keyof typeof Resampling;
  readonly box?: Box;
  readonly out: string;
}

// Pillow 9.4 `Image.resize` outputs (the file's `source` names the call); Resample.c is unchanged in 9.5.
const vectors = loadVectors<ResizeCase>("resize");

describe("resize matches Pillow's Image.resize byte for byte", () => {
  for (const c of vectors.cases) {
    const box = c.box ? ` box ${c.box.join(",")}` : "";
    const label = `${c.in} → ${c.size.join("x")} ${c.filter ?? "default"}${box} (${c.what})`;
    it(label, () => {
      const filter: ResamplingFilter | undefined = c.filter === undefined ? undefined : Resampling[c.filter];
      expect(digest(resize(buildImage(c.in), c.size[0], c.size[1], filter, c.box))).toBe(c.out);
    });
  }
});
