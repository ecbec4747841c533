/**
 * Deterministic test images named by short strings, and the digest the reference vectors record. The vectors in
 * `vectors/` were made by running Pillow 9.4 / OpenCV 4.6 (Debian's python3) on the same images, built by a
 * Python twin of `buildImage` from the same strings; each file's `source` field says which calls made it.
 *
 *   "noise RGB 7x5 #2"            LCG bytes (Numerical Recipes constants), top byte of each state
 *   "smooth L 24x18 #3"           (3x + 5y + 85·band + (noise & 15)) & 255
 *   "ellipse 80x60 40 30 20.5 12" L mask, 255 where ((x+½−cx)/rx)² + ((y+½−cy)/ry)² ≤ 1
 *   "rect 20x10 2 3 9 8 255"      L mask, the value inside [x0, x1) × [y0, y1)
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { bandCount, pilImage } from "../../../lib/engine/image/pil-image.ts";
import type { PilImage, PilMode } from "../../../lib/engine/image/pil-image.ts";

function lcgBytes(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

const size = (text: string) => text.split("x").map(Number) as [number, number];

export function buildImage(spec: string): PilImage {
  const parts = spec.split(" ");
  const kind = parts[0];
  if (kind === "noise" || kind === "smooth") {
    const mode = parts[1] as PilMode;
    const [w, h] = size(parts[2]!);
    const seed = Number(parts[3]!.slice(1));
    const bands = bandCount(mode);
    const data = lcgBytes(seed, w * h * bands);
    if (kind === "smooth") {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          for (let b = 0; b < bands; b++) {
            const i = (y * w + x) * bands + b;
            data[i] = (x * 3 + y * 5 + b * 85 + (data[i]! & 15)) & 255;
          }
        }
      }
    }
    return pilImage(mode, w, h, data);
  }
  const [w, h] = size(parts[1]!);
  const nums = parts.slice(2).map(Number);
  const data = new Uint8Array(w * h);
  if (kind === "ellipse") {
    const [cx, cy, rx, ry] = nums as [number, number, number, number];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const dx = (x + 0.5 - cx) / rx;
        const dy = (y + 0.5 - cy) / ry;
        data[y * w + x] = dx * dx + dy * dy <= 1 ? 255 : 0;
      }
    }
  } else if (kind === "rect") {
    const [x0, y0, x1, y1, value] = nums as [number, number, number, number, number];
    for (let y = y0; y < y1; y++) data.fill(value, y * w + x0, y * w + x1);
  } else {
    throw new Error(`unknown fixture ${spec}`);
  }
  return pilImage("L", w, h, data);
}

/** "RGB 19x13 <SHA-256 prefix> <bytes at 0, n/3, 2n/3, n−1>", as the vector files record outputs. */
export function digest(image: PilImage): string {
  return digestBytes(image.mode, image.width, image.height, image.data);
}

export function digestBytes(mode: string, width: number, height: number, data: Uint8Array): string {
  const n = data.length;
  const hash = createHash("sha256").update(data).digest("hex").slice(0, 16);
  const picks = n === 0 ? [] : [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1].map((i) => data[i]);
  return `${mode} ${width}x${height} ${hash} ${picks.join(",")}`;
}

export interface VectorFile<Case> {
  readonly source: string;
  readonly cases: readonly Case[];
}

/** Reads `vectors/<name>.json` next to this file. */
export function loadVectors<Case>(name: string): VectorFile<Case> {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}.json`, import.meta.url), "utf8")) as VectorFile<Case>;
}
