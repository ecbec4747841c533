import { describe, expect, it } from "vitest";
import { ImageRNG } from "../../../lib/engine/rng/image-rng.ts";
import { PhiloxGenerator } from "../../../lib/engine/rng/philox.ts";
import { slerp } from "../../../lib/engine/rng/slerp.ts";
import { TorchCpuGenerator } from "../../../lib/engine/rng/torch-cpu.ts";

const shape = [4, 8, 8] as const;
const imageSize = 4 * 8 * 8;

/** Philox call number `call` (0-based) of `count` elements for `seed`: the stream at offset `call`. */
function philoxCall(seed: number, count: number, call = 0): Float32Array {
  const generator = new PhiloxGenerator(seed);
  for (let i = 0; i < call; i++) generator.randn(count);
  return generator.randn(count);
}

/** Image i of a [B, C, H, W] batch. */
const image = (batch: Float32Array, i: number) => Array.from(batch.subarray(i * imageSize, (i + 1) * imageSize));

describe("ImageRNG initial noise (docs/a1111-semantics.md §6.3)", () => {
  it("is each image's first draw, stacked [B, C, H, W]", () => {
    const batch = new ImageRNG({ shape, seeds: [10, 11] }).first();
    expect(batch).toHaveLength(2 * imageSize);
    expect(image(batch, 0)).toEqual(Array.from(philoxCall(10, imageSize)));
    expect(image(batch, 1)).toEqual(Array.from(philoxCall(11, imageSize)));
  });

  it("reproduces rng_philox.py's seed 0, shape (3, 4) vector for a (1, 3, 4) latent (docs/a1111-semantics.md §6.4)", () => {
    const batch = new ImageRNG({ shape: [1, 3, 4], seeds: [0] }).first();
    const expected = [-0.9246624, -0.42534396, -2.6438458, 0.14518388].map(Math.fround);
    expect(Array.from(batch.subarray(0, 4))).toEqual(expected);
  });

  it("is what next() returns on its first call, as rng.py's next delegates to first", () => {
    expect(new ImageRNG({ shape, seeds: [3] }).next()).toEqual(new ImageRNG({ shape, seeds: [3] }).first());
  });

  it("can be drawn once only", () => {
    const rng = new ImageRNG({ shape, seeds: [3] });
    rng.first();
    expect(() => rng.first()).toThrow();
  });
});

describe("ImageRNG per-image independence (docs/a1111-semantics.md §6.2)", () => {
  // Image 1 of a three-image batch against the same image drawn alone, its subseed included.
  const cases = [
    { name: "plain", batch: {}, alone: {} },
    {
      name: "variation seed",
      batch: { subseeds: [500, 501, 502], subseedStrength: 0.3 },
      alone: { subseeds: [501], subseedStrength: 0.3 },
    },
    {
      name: "seed resize",
      batch: { seedResizeFromH: 48, seedResizeFromW: 80 },
      alone: { seedResizeFromH: 48, seedResizeFromW: 80 },
    },
    { name: "ENSD", batch: { etaNoiseSeedDelta: 31337 }, alone: { etaNoiseSeedDelta: 31337 } },
  ];
  for (const { name, batch, alone } of cases) {
    it(`gives an image the same noise in any batch (${name})`, () => {
      const inBatch = new ImageRNG({ shape, seeds: [20, 21, 22], ...batch });
      const byItself = new ImageRNG({ shape, seeds: [21], ...alone });
      for (let step = 0; step < 3; step++) expect(image(inBatch.next(), 1)).toEqual(image(byItself.next(), 0));
    });
  }
});

describe("ImageRNG next() continues each image's stream", () => {
  it("draws Philox offsets 1, 2, … after the initial noise", () => {
    const rng = new ImageRNG({ shape, seeds: [5, 6] });
    rng.next();
    for (const call of [1, 2]) {
      const batch = rng.next();
      expect(image(batch, 0)).toEqual(Array.from(philoxCall(5, imageSize, call)));
      expect(image(batch, 1)).toEqual(Array.from(philoxCall(6, imageSize, call)));
    }
  });
});

describe("ImageRNG sources (docs/a1111-semantics.md §6.4)", () => {
  it('serves "GPU" with the NV Philox generator', () => {
    const gpu = new ImageRNG({ shape, seeds: [8], source: "GPU" });
    const nv = new ImageRNG({ shape, seeds: [8], source: "NV" });
    for (let step = 0; step < 2; step++) expect(gpu.next()).toEqual(nv.next());
  });

  it('serves "CPU" with the PyTorch CPU generator, continuing its stream', () => {
    const rng = new ImageRNG({ shape, seeds: [8], source: "CPU" });
    const torch = new TorchCpuGenerator(8);
    expect(rng.next()).toEqual(torch.randn(imageSize));
    expect(rng.next()).toEqual(torch.randn(imageSize));
  });
});

describe("ImageRNG variation seeds (subseed, subseed_strength)", () => {
  it("ignore the subseeds at strength 0", () => {
    const plain = new ImageRNG({ shape, seeds: [1, 2] }).first();
    const withSubseeds = new ImageRNG({ shape, seeds: [1, 2], subseeds: [9, 10], subseedStrength: 0 }).first();
    expect(withSubseeds).toEqual(plain);
  });

  it("give the subseed's own noise at strength 1 (sin ω / sin ω · high)", () => {
    const batch = new ImageRNG({ shape, seeds: [1], subseeds: [9], subseedStrength: 1 }).first();
    const subnoise = philoxCall(9, imageSize);
    subnoise.forEach((value, i) => expect(batch[i]).toBeCloseTo(value, 5));
  });

  it("blend seed and subseed noise with A1111's slerp, each from a fresh stream", () => {
    const batch = new ImageRNG({ shape, seeds: [1], subseeds: [9], subseedStrength: 0.4 }).first();
    expect(batch).toEqual(slerp(0.4, philoxCall(1, imageSize), philoxCall(9, imageSize), shape));
  });

  it("use subseed 0 for images past the end of the subseed list", () => {
    const batch = new ImageRNG({ shape, seeds: [1, 1], subseeds: [9], subseedStrength: 0.4 }).first();
    expect(image(batch, 1)).toEqual(Array.from(slerp(0.4, philoxCall(1, imageSize), philoxCall(0, imageSize), shape)));
  });

  it("do not advance the image's generator", () => {
    const rng = new ImageRNG({ shape, seeds: [1], subseeds: [9], subseedStrength: 0.4 });
    rng.first();
    expect(rng.next()).toEqual(philoxCall(1, imageSize, 1));
  });
});

describe("ImageRNG seed resize (seed_resize_from_h/w) pastes the noise centred", () => {
  // One 4×4 channel. The canvas is the image generator's first draw at (1, 4, 4); the resized noise is a fresh
  // draw of the same seed at (1, rh // 8, rw // 8).
  const latent = [1, 4, 4] as const;
  const canvas = Array.from(philoxCall(3, 16));
  const resized = (fromH: number, fromW: number) =>
    Array.from(new ImageRNG({ shape: latent, seeds: [3], seedResizeFromH: fromH, seedResizeFromW: fromW }).first());

  it("puts a smaller noise in the middle: from 16×16 px, a 2×2 noise at rows 1–2, columns 1–2", () => {
    const noise = philoxCall(3, 4);
    const expected = [...canvas];
    [expected[5], expected[6], expected[9], expected[10]] = noise;
    expect(resized(16, 16)).toEqual(expected);
  });

  it("crops a wider noise by its negative offset: from 16×48 px, noise (2, 6) columns 1–4 into rows 1–2", () => {
    const noise = philoxCall(3, 12);
    const expected = [...canvas];
    for (let row = 0; row < 2; row++) {
      for (let col = 0; col < 4; col++) expected[(row + 1) * 4 + col] = noise[row * 6 + col + 1];
    }
    expect(resized(16, 48)).toEqual(expected);
  });

  it("floors odd negative offsets as Python does: from 56×56 px, row 3 and column 3 stay uncovered", () => {
    // dx = dy = (4 − 7) // 2 = −2: copy size 7 + 2·(−2) = 3, source start 2, target start 0.
    const noise = philoxCall(3, 49);
    const expected = [...canvas];
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 3; col++) expected[row * 4 + col] = noise[(row + 2) * 7 + col + 2];
    }
    expect(resized(56, 56)).toEqual(expected);
  });

  it("changes nothing when only one of the two sizes is set, or when they give the latent's own size", () => {
    const plain = new ImageRNG({ shape, seeds: [3] }).first();
    expect(new ImageRNG({ shape, seeds: [3], seedResizeFromH: 128 }).first()).toEqual(plain);
    expect(new ImageRNG({ shape, seeds: [3], seedResizeFromH: 64, seedResizeFromW: 71 }).first()).toEqual(plain);
  });

  it("blends variation noise at the resize size before pasting", () => {
    const batch = new ImageRNG({
      shape: latent,
      seeds: [3],
      subseeds: [4],
      subseedStrength: 0.5,
      seedResizeFromH: 16,
      seedResizeFromW: 16,
    }).first();
    const blended = slerp(0.5, philoxCall(3, 4), philoxCall(4, 4), [1, 2, 2]);
    expect([batch[5], batch[6], batch[9], batch[10]]).toEqual(Array.from(blended));
  });
});

describe("ImageRNG ENSD (eta_noise_seed_delta, docs/a1111-semantics.md §6.5)", () => {
  it("leaves the initial noise alone", () => {
    const plain = new ImageRNG({ shape, seeds: [100, 101] }).first();
    expect(new ImageRNG({ shape, seeds: [100, 101], etaNoiseSeedDelta: 31337 }).first()).toEqual(plain);
  });

  it("re-creates each generator with seed + ENSD, so later draws are that stream's offsets 0, 1, …", () => {
    const rng = new ImageRNG({ shape, seeds: [100, 101], etaNoiseSeedDelta: 31337 });
    rng.next();
    for (const call of [0, 1]) {
      const batch = rng.next();
      expect(image(batch, 0)).toEqual(Array.from(philoxCall(100 + 31337, imageSize, call)));
      expect(image(batch, 1)).toEqual(Array.from(philoxCall(101 + 31337, imageSize, call)));
    }
  });

  it("re-creates the CPU generator too", () => {
    const rng = new ImageRNG({ shape, seeds: [100], etaNoiseSeedDelta: 31337, source: "CPU" });
    rng.next();
    expect(rng.next()).toEqual(new TorchCpuGenerator(100 + 31337).randn(imageSize));
  });
});
