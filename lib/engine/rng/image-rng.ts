/**
 * A1111's `ImageRNG` (modules/rng.py): one noise generator per image, so an image's noise depends on its own
 * seeds only, never on the batch it is in (docs/a1111-semantics.md §6.2–6.3, §6.5).
 */
import { addToSeed } from "./seed.ts";
import type { Seed } from "./seed.ts";
import { slerp } from "./slerp.ts";
import { createNormalGenerator } from "./source.ts";
import type { NormalGenerator, RandnSource } from "./source.ts";

/** One image's latent shape: (channels, height / 8, width / 8). */
export type LatentShape = readonly [channels: number, height: number, width: number];

export interface ImageRngOptions {
  readonly shape: LatentShape;
  /** The batch's seeds, one per image (A1111 `p.seeds`). */
  readonly seeds: readonly Seed[];
  /** Variation seeds (A1111 `p.subseeds`); an image past the end of the list uses 0, as A1111 does. */
  readonly subseeds?: readonly Seed[];
  /** Variation strength; 0 ignores the subseeds. */
  readonly subseedStrength?: number;
  /** "Resize seed from" height and width in pixels; the noise is drawn at that size when both are > 0. */
  readonly seedResizeFromH?: number;
  readonly seedResizeFromW?: number;
  /** `opts.randn_source`; defaults to "GPU" (served by the NV generator, see source.ts). */
  readonly source?: RandnSource;
  /** `opts.eta_noise_seed_delta` (ENSD): reseeds the generators after the initial noise. */
  readonly etaNoiseSeedDelta?: number;
}

export class ImageRNG {
  readonly shape: LatentShape;
  readonly #options: ImageRngOptions;
  readonly #source: RandnSource;
  #generators: NormalGenerator[];
  #isFirst = true;

  constructor(options: ImageRngOptions) {
    this.shape = options.shape;
    this.#options = options;
    this.#source = options.source ?? "GPU";
    this.#generators = options.seeds.map((seed) => createNormalGenerator(this.#source, seed));
  }

  /** Elements of one image's noise. */
  get imageSize(): number {
    return shapeSize(this.shape);
  }

  /**
   * The batch's initial noise, [B, C, H, W] flattened: each image's first draw, blended with its variation seed's
   * noise and pasted from the "resize seed from" size when those are set. May be drawn once.
   */
  first(): Float32Array {
    if (!this.#isFirst) throw new Error("ImageRNG.first: the initial noise was already drawn");
    this.#isFirst = false;
    const { seeds, subseeds, subseedStrength = 0, etaNoiseSeedDelta = 0 } = this.#options;
    const noiseShape = this.#noiseShape();
    const sameShape = sameLatentShape(noiseShape, this.shape);
    const imageSize = this.imageSize;
    const batch = new Float32Array(seeds.length * imageSize);

    seeds.forEach((seed, i) => {
      // Each randn(seed, ...) in rng.py re-seeds, so these come from fresh streams, not the image's generator.
      const fresh = (s: Seed) => createNormalGenerator(this.#source, s).randn(shapeSize(noiseShape));
      let noise = sameShape ? this.#generators[i].randn(imageSize) : fresh(seed);
      if (subseeds !== undefined && subseedStrength !== 0) {
        noise = slerp(subseedStrength, noise, fresh(subseeds[i] ?? 0), noiseShape);
      }
      if (!sameShape) {
        const canvas = this.#generators[i].randn(imageSize);
        pasteCentred(noise, noiseShape, canvas, this.shape);
        noise = canvas;
      }
      batch.set(noise, i * imageSize);
    });

    if (etaNoiseSeedDelta !== 0) {
      this.#generators = seeds.map((seed) => createNormalGenerator(this.#source, addToSeed(seed, etaNoiseSeedDelta)));
    }
    return batch;
  }

  /**
   * The next noise for the batch: the initial noise on the first call (as rng.py's `next` does), then each
   * image's stream continued; this is what k-diffusion's `randn_like` gets for ancestral and SDE steps.
   */
  next(): Float32Array {
    if (this.#isFirst) return this.first();
    const imageSize = this.imageSize;
    const batch = new Float32Array(this.#generators.length * imageSize);
    this.#generators.forEach((generator, i) => batch.set(generator.randn(imageSize), i * imageSize));
    return batch;
  }

  /** rng.py `noise_shape`: the latent shape, or (C, rh // 8, rw // 8) when both resize sizes are positive. */
  #noiseShape(): LatentShape {
    const { seedResizeFromH = 0, seedResizeFromW = 0 } = this.#options;
    if (seedResizeFromH <= 0 || seedResizeFromW <= 0) return this.shape;
    return [this.shape[0], Math.floor(seedResizeFromH / 8), Math.floor(seedResizeFromW / 8)];
  }
}

/**
 * Copies `source` into the middle of `target` (rng.py `first`): offsets are (target − source) // 2 with Python's
 * floor division, and a negative offset crops the source by that much on the leading side and trims the copy to
 * source + 2·offset, which can leave the target's last row or column uncovered when the difference is odd.
 */
function pasteCentred(source: Float32Array, sourceShape: LatentShape, target: Float32Array, targetShape: LatentShape) {
  const [channels, sourceHeight, sourceWidth] = sourceShape;
  const [, targetHeight, targetWidth] = targetShape;
  const dx = Math.floor((targetWidth - sourceWidth) / 2);
  const dy = Math.floor((targetHeight - sourceHeight) / 2);
  const width = dx >= 0 ? sourceWidth : sourceWidth + 2 * dx;
  const height = dy >= 0 ? sourceHeight : sourceHeight + 2 * dy;
  const targetX = Math.max(dx, 0);
  const targetY = Math.max(dy, 0);
  const sourceX = Math.max(-dx, 0);
  const sourceY = Math.max(-dy, 0);
  for (let c = 0; c < channels; c++) {
    for (let row = 0; row < height; row++) {
      const from = (c * sourceHeight + sourceY + row) * sourceWidth + sourceX;
      const to = (c * targetHeight + targetY + row) * targetWidth + targetX;
      target.set(source.subarray(from, from + width), to);
    }
  }
}

function shapeSize(shape: LatentShape): number {
  return shape[0] * shape[1] * shape[2];
}

function sameLatentShape(a: LatentShape, b: LatentShape): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2];
}
