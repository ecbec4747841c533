import { seededNormals } from "./seeded-normals.ts";

/** SD 1.x/2.x VAE scaling factor (diffusers AutoencoderKL config; docs/engine-reference.md §1.3). */
export const SD_VAE_SCALING_FACTOR = 0.18215;

const RGB = 3;
const LATENT = 4;

/**
 * Weights of the tiny VAE. Decoder: y = W·z + b (1×1 conv, 4→3), ×8 linear upsampling, u = y + T∗y + t (3×3 conv),
 * image = tanh(u). W is SD_VAE_SCALING_FACTOR·M with M ~ N(0, 0.6²): the decoder receives latents already divided
 * by the scaling factor, so unit-variance scaled latents give u of about unit spread — a colourful image that tanh
 * keeps inside (−1, 1).
 *
 * Encoder (its rough inverse): p = 8×8 average of atanh(image), then z = W⁺·A·(p − t) − W⁺·b, where A = (I + ΣT)⁻¹
 * undoes the texture convolution on smooth regions (ΣT: its kernel summed over the 3×3 window) and
 * W⁺ = Wᵀ(WWᵀ)⁻¹ is the pseudo-inverse of the decoder's 1×1 conv. Encode→decode thus returns a block-averaged copy
 * of the image.
 */
export interface TinyVaeWeights {
  /** [3,4] row-major. */
  readonly decoderWeight: Float32Array;
  readonly decoderBias: Float32Array;
  /** [3,3,3,3] (out, in, kh, kw). */
  readonly textureWeight: Float32Array;
  readonly textureBias: Float32Array;
  /** [4,3] row-major. */
  readonly encoderWeight: Float32Array;
  readonly encoderBias: Float32Array;
  /** [4,3] and [4]: a small learned log-variance around −10 (the SD VAE posterior is narrow). */
  readonly logvarWeight: Float32Array;
  readonly logvarBias: Float32Array;
}

type Matrix = number[][];

function multiply(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, j) => row.reduce((sum, value, k) => sum + value * b[k][j], 0)));
}

function transpose(a: Matrix): Matrix {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

function invert3x3(m: Matrix): Matrix {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

function toMatrix(values: Float32Array, rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, (_, r) => Array.from(values.subarray(r * cols, (r + 1) * cols)));
}

export function tinyVaeWeights(seed: number): TinyVaeWeights {
  const decoderWeight = seededNormals(seed, "vae.decoder.conv_in.weight", RGB * LATENT, 0.6 * SD_VAE_SCALING_FACTOR);
  const decoderBias = seededNormals(seed, "vae.decoder.conv_in.bias", RGB, 0.3);
  const textureWeight = seededNormals(seed, "vae.decoder.texture.weight", RGB * RGB * 9, 0.05);
  const textureBias = seededNormals(seed, "vae.decoder.texture.bias", RGB, 0.02);

  const w = toMatrix(decoderWeight, RGB, LATENT);
  const pseudoInverse = multiply(transpose(w), invert3x3(multiply(w, transpose(w))));
  const textureSum = Array.from({ length: RGB }, (_, o) =>
    Array.from({ length: RGB }, (_, i) => {
      let sum = o === i ? 1 : 0;
      for (let k = 0; k < 9; k++) sum += textureWeight[(o * RGB + i) * 9 + k];
      return sum;
    }),
  );
  const encoderMatrix = multiply(pseudoInverse, invert3x3(textureSum));
  const offset = multiply(encoderMatrix, transpose([Array.from(textureBias)]));
  const decoderOffset = multiply(pseudoInverse, transpose([Array.from(decoderBias)]));
  const encoderBias = Float32Array.from({ length: LATENT }, (_, r) => -offset[r][0] - decoderOffset[r][0]);

  const logvarBias = seededNormals(seed, "vae.encoder.logvar.bias", LATENT, 0.5);
  for (let i = 0; i < LATENT; i++) logvarBias[i] -= 10;

  return {
    decoderWeight,
    decoderBias,
    textureWeight,
    textureBias,
    encoderWeight: Float32Array.from(encoderMatrix.flat()),
    encoderBias,
    logvarWeight: seededNormals(seed, "vae.encoder.logvar.weight", LATENT * RGB, 0.1),
    logvarBias,
  };
}
