/**
 * Bounds Serena adds where A1111 has none, so that no request can exhaust a function's memory or time.
 * Documented in docs/api.md; changing one is an API change.
 */
export const LIMITS = {
  /** Output width/height in pixels (A1111's UI range). */
  minSize: 64,
  maxSize: 2048,
  /** Pixels of one batch (batch_size × width × height): 4 megapixels, e.g. 4 × 1024² or 16 × 512². */
  maxBatchPixels: 4 * 1024 * 1024,
  maxSteps: 150,
  maxBatchSize: 16,
  maxNIter: 32,
  /** Images of one request, batch_size × n_iter. */
  maxImages: 32,
  /** Characters of a prompt or negative prompt. */
  maxPromptLength: 10_000,
  maxStyles: 32,
  maxCfgScale: 100,
  /** Decoded pixels of an input image (init image, mask, png-info, extras). */
  maxInputPixels: 4096 * 4096,
  /** Request body size in bytes, before base64 decoding (API Gateway's own limit is 10 MB). */
  maxBodyBytes: 10 * 1024 * 1024,
  maxSeed: Number.MAX_SAFE_INTEGER,
} as const;
