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
  /** Decoded pixels of an input image (init image, mask, png-info, extras), checked from its header before decoding. */
  maxInputPixels: 4096 * 4096,
  /**
   * Pixels of an Extras result (and of the upscaler's intermediate image), computed from the request and the
   * image's header before anything is allocated; more is a 422 naming upscaling_resize (resize_mode 0) or
   * upscaling_resize_w/_h (resize_mode 1). A1111 has no bound: ×8 of a 4096² image asks for a gigapixel.
   */
  maxUpscaledPixels: 4096 * 4096,
  /**
   * Seconds one sharp (libvips) pipeline on client data may run: decoding a client image, an Extras resize or
   * blend input, encoding a result. Past it the request is a 422 naming the image field (sharp's `timeout`).
   */
  imageOperationSeconds: 20,
  /**
   * Bytes of text in one image's PNG text chunks together (keys and values, after inflating). A zTXt/iTXt chunk
   * may also inflate to at most 1 MiB on its own, Pillow's MAX_TEXT_CHUNK (A1111 then answers 500; Serena 422).
   * Pillow allows 64 MiB in all; png-info returns every chunk, so Serena keeps its answer small.
   */
  maxImageTextBytes: 1024 * 1024,
  /**
   * Characters of the infotext png-info parses (the `parameters` chunk, or the EXIF UserComment). A longer one is
   * a 422 naming `image`: A1111's own parser is quadratic on some long texts, and cutting the text would drop
   * the parameter line, which comes last.
   */
  maxInfotextChars: 64 * 1024,
  /**
   * Weight multiplications png-info's attention parse may do while deciding whether the infotext's prompt uses
   * emphasis (A1111 multiplies every later piece when a group closes, quadratic for `(a(a(a…)))`). Past it the
   * prompt is taken to use emphasis ("Emphasis: Original" is added), as any prompt with that many groups does.
   */
  maxInfotextAttentionUpdates: 1_000_000,
  /**
   * Nesting depth of a free-form JSON field (override_settings, comments, script_args, alwayson_scripts, and each
   * value of POST /options): `{"a": 1}` is depth 1. Deeper is a 422 naming the field, before anything copies,
   * clones or serialises the value (V8's JSON.stringify and structuredClone overflow the stack a few thousand
   * levels down).
   */
  maxJsonDepth: 32,
  /** Values (objects, arrays, strings, numbers… each counts one) in one free-form JSON field or the /options body. */
  maxJsonValues: 10_000,
  /** Request body size in bytes, before base64 decoding (API Gateway's own limit is 10 MB). */
  maxBodyBytes: 10 * 1024 * 1024,
  maxSeed: Number.MAX_SAFE_INTEGER,
} as const;
