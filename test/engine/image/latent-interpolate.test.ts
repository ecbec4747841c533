/**
 * interpolateLatents against torch.nn.functional.interpolate.
 *
 * The vectors (latent-interpolate.vectors.json, its `source` says how they were made) are SHA-256 digests of
 * PyTorch 1.13's CPU outputs with ATEN_CPU_CAPABILITY=default, i.e. the kernels compiled without FMA contraction:
 * with `kernels: "1.13"` every output must match bit for bit. Observed maximum errors, as max|ours − torch| over the
 * largest |torch| of each output, over the 13 cases here:
 * - vs torch 1.13, default kernels: 0 for every mode (bit-exact, also over the 836-size weight sweep);
 * - vs torch 1.13, AVX2 and AVX512 kernels (FMA-contracted, same numbers for both): nearest and nearest-exact 0,
 *   bilinear 1.2e-7, antialiased bilinear 1.9e-7, bicubic 1.4e-6, antialiased bicubic 1.1e-6. These are torch's own
 *   differences between its builds (the default and AVX2 outputs differ from each other by exactly as much); the
 *   bicubic ones come from the FMA-contracted cubic coefficients;
 * - vs torch 1.13's channels-last bilinear kernel (the one PyTorch 2.x uses for outputs with h + w ≤ 128): 1.4e-7;
 * - default kernels ("2") vs torch 1.13: bilinear 5.2e-6, bicubic 4.3e-6, antialiased bicubic 3.5e-7, the other
 *   modes 0. That is the change of arithmetic between 1.13 and 2.x (source coordinates in float32 instead of
 *   double), not an error: there is no PyTorch 2.x here to make vectors with.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { interpolateLatents } from "../../../lib/engine/image/latent-interpolate.ts";
import type { InterpolateOptions, LatentInterpolationMode } from "../../../lib/engine/image/latent-interpolate.ts";

type Shape = [number, number, number, number];

interface Vectors {
  readonly cases: readonly { shape: Shape; size: [number, number]; seed: number; sha256: Record<string, string> }[];
  readonly sweep: { sha256: Record<string, string> };
}

const vectors = JSON.parse(readFileSync(new URL("./latent-interpolate.vectors.json", import.meta.url), "utf8")) as Vectors;

const MODES: readonly { key: string; mode: LatentInterpolationMode; antialias: boolean }[] = [
  { key: "nearest", mode: "nearest", antialias: false },
  { key: "nearest-exact", mode: "nearest-exact", antialias: false },
  { key: "bilinear", mode: "bilinear", antialias: false },
  { key: "bilinear-aa", mode: "bilinear", antialias: true },
  { key: "bicubic", mode: "bicubic", antialias: false },
  { key: "bicubic-aa", mode: "bicubic", antialias: true },
];

/** Modes whose PyTorch 2.x arithmetic is the same as 1.13's. */
const UNCHANGED_IN_2 = new Set(["nearest", "nearest-exact", "bilinear-aa"]);

/** The vectors' input: xorshift32 (13, 17, 5) from the seed, each value ((s >>> 8) − 2^23) / 2^21, exact in float32. */
function xorshiftInput(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    out[i] = ((s >>> 8) - 8388608) / 2097152;
  }
  return out;
}

// The digests are over little-endian float32 bytes, which is how typed arrays lie in memory on x86 and ARM.
const bytes = (values: Float32Array) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
const digest = (values: Float32Array) => createHash("sha256").update(bytes(values)).digest("hex");

function caseInput(c: Vectors["cases"][number]): Float32Array {
  return xorshiftInput(c.shape.reduce((a, b) => a * b), c.seed);
}

const label = (c: Vectors["cases"][number]) => `${c.shape.join("x")} -> ${c.size.join("x")}`;

/** The sweep: torch.eye(i) as [1, i, 1, i] resized to (1, o) for i in 2..23, o in 1..39, i ≠ o, one digest. */
function sweepDigest(mode: LatentInterpolationMode, options: InterpolateOptions): string {
  const hash = createHash("sha256");
  for (let i = 2; i < 24; i++) {
    const eye = new Float32Array(i * i);
    for (let c = 0; c < i; c++) eye[c * i + c] = 1;
    for (let o = 1; o < 40; o++) {
      if (o !== i) hash.update(bytes(interpolateLatents(eye, [1, i, 1, i], [1, o], mode, options)));
    }
  }
  return hash.digest("hex");
}

describe("interpolateLatents with kernels '1.13' matches torch 1.13's CPU interpolate bit for bit", () => {
  for (const c of vectors.cases) {
    for (const m of MODES) {
      it(`${label(c)} ${m.key}`, () => {
        const out = interpolateLatents(caseInput(c), c.shape, c.size, m.mode, { antialias: m.antialias, kernels: "1.13" });
        expect(out.length).toBe(c.shape[0] * c.shape[1] * c.size[0] * c.size[1]);
        expect(digest(out)).toBe(c.sha256[m.key]);
      });
    }
  }
});

describe("interpolateLatents with kernels '1.13' matches torch 1.13's per-axis weights over 836 size pairs", () => {
  for (const m of MODES) {
    it(m.key, () => {
      expect(sweepDigest(m.mode, { antialias: m.antialias, kernels: "1.13" })).toBe(vectors.sweep.sha256[m.key]);
    });
  }
});

describe("interpolateLatents follows PyTorch 2.x by default", () => {
  for (const m of MODES.filter((mode) => UNCHANGED_IN_2.has(mode.key))) {
    it(`${m.key} is unchanged from 1.13: bit for bit on the vectors and the sweep`, () => {
      for (const c of vectors.cases) {
        expect(digest(interpolateLatents(caseInput(c), c.shape, c.size, m.mode, { antialias: m.antialias }))).toBe(c.sha256[m.key]);
      }
      expect(sweepDigest(m.mode, { antialias: m.antialias })).toBe(vectors.sweep.sha256[m.key]);
    });
  }

  // Torch 1.13's outputs are the 1.13 kernels' (the digest checks it again); 2.x moved the source coordinate of
  // bilinear and bicubic to float32 and the cubic antialias filter wholly to float32, which moves outputs by up
  // to 5.2e-6 of the largest one here.
  for (const m of MODES.filter((mode) => !UNCHANGED_IN_2.has(mode.key))) {
    it(`${m.key} stays within 1e-5 of torch 1.13, relative to the largest output`, () => {
      let changed = false;
      for (const c of vectors.cases) {
        const x = caseInput(c);
        const torch113 = interpolateLatents(x, c.shape, c.size, m.mode, { antialias: m.antialias, kernels: "1.13" });
        expect(digest(torch113)).toBe(c.sha256[m.key]);
        const out = interpolateLatents(x, c.shape, c.size, m.mode, { antialias: m.antialias });
        let largest = 0;
        let worst = 0;
        for (let i = 0; i < out.length; i++) {
          largest = Math.max(largest, Math.abs(torch113[i]!));
          worst = Math.max(worst, Math.abs(out[i]! - torch113[i]!));
        }
        expect(worst).toBeLessThanOrEqual(1e-5 * largest);
        changed ||= worst > 0;
      }
      expect(changed).toBe(true);
    });
  }

  it("computes the source coordinate in float32: resizing 7 columns to 31 puts column 3 exactly at column 15", () => {
    // UpSample.h: src = scale·(dst + 0.5) − 0.5 with scale = float32(7/31). In float32, scale·15.5 rounds to 3.5 and
    // src is exactly 3, so the bilinear and bicubic weights select column 3 alone; in double (1.13) src is
    // 2.99999990 and the neighbours leak in.
    const scale = Math.fround(7 / 31);
    expect(Math.fround(Math.fround(scale * 15.5) - 0.5)).toBe(3);
    expect(scale * 15.5 - 0.5).toBeLessThan(3);
    const row = Float32Array.from([0.75, -1.5, 2.25, 1.125, -3, 0.5, 4]);
    for (const mode of ["bilinear", "bicubic"] as const) {
      expect(interpolateLatents(row, [1, 1, 1, 7], [1, 31], mode)[15]).toBe(1.125);
      expect(interpolateLatents(row, [1, 1, 1, 7], [1, 31], mode, { kernels: "1.13" })[15]).not.toBe(1.125);
    }
  });
});

describe("interpolateLatents keeps an unchanged size as it is", () => {
  // Torch's weights are the identity there (bilinear special-cases it, the cubic weights at t = 0 are exactly
  // 0, 1, 0, 0, the antialiased kernel skips the pass); the result is a new array.
  for (const m of MODES) {
    it(m.key, () => {
      const x = xorshiftInput(2 * 4 * 6 * 5, 99);
      const out = interpolateLatents(x, [2, 4, 6, 5], [6, 5], m.mode, { antialias: m.antialias });
      expect(out).toEqual(x);
      expect(out).not.toBe(x);
    });
  }
});

describe("interpolateLatents rejects what torch rejects", () => {
  const x = new Float32Array(16);
  it("antialias with the nearest modes", () => {
    expect(() => interpolateLatents(x, [1, 1, 4, 4], [8, 8], "nearest", { antialias: true })).toThrow(RangeError);
    expect(() => interpolateLatents(x, [1, 1, 4, 4], [8, 8], "nearest-exact", { antialias: true })).toThrow(RangeError);
  });
  it("sizes that are not positive integers, and data that does not fill the shape", () => {
    expect(() => interpolateLatents(x, [1, 1, 4, 4], [0, 8], "bilinear")).toThrow(RangeError);
    expect(() => interpolateLatents(x, [1, 1, 4, 4], [8, 2.5], "bilinear")).toThrow(RangeError);
    expect(() => interpolateLatents(x, [1, 2, 4, 4], [8, 8], "bilinear")).toThrow(RangeError);
  });
});
