/**
 * SDXL's text conditioning as A1111 v1.10 builds it (modules/sd_models_xl.py `get_learned_conditioning`, which calls
 * sgm's GeneralConditioner with A1111's hijacked embedders, sd_hijack_clip.py and sd_hijack_open_clip.py):
 *
 * - each text encoder tokenizes the prompt itself (CLIP ViT-L with transformers' clean-up and `<|endoftext|>`
 *   padding, OpenCLIP ViT-bigG with open_clip's clean-up and "!" padding), chunks it to 75 tokens (BREAK, comma
 *   backtracking), encodes every chunk to its penultimate hidden states — `hidden_states[-2]` for ViT-L
 *   (`FrozenCLIPEmbedderForSDXLWithCustomWords`, layer "hidden", layer_idx −2) and the "penultimate" layer for bigG
 *   (`FrozenOpenCLIPEmbedder2WithCustomWords`), neither through the final layer norm — and applies emphasis to its
 *   own output (`process_tokens`);
 * - the context is the two encodings side by side per token (GeneralConditioner concatenates "crossattn" outputs on
 *   the last axis: 768 + 1280 = 2048), chunks one after another;
 * - the UNet's `text_embeds` is bigG's pooled output of the first chunk (`zs[0].pooled`, taken before emphasis);
 * - its `time_ids` are the request's height and width as original size, (opts.sdxl_crop_top, opts.sdxl_crop_left)
 *   as crop, and the height and width again as target size; the refiner has an aesthetic score instead of the
 *   target size (opts.sdxl_refiner_high_aesthetic_score for prompts, ..._low_... for negative prompts);
 * - a negative prompt whose texts are all empty gets zeros for everything the text encoders give, context and pooled
 *   alike (`force_zero_embeddings=['txt']`); its time ids stay.
 */
import type { AppliedLora, DiffusionModel, SdxlFacts } from "../model/index.ts";
import type { LibraryEmbedding } from "../networks/embedding-library.ts";
import { CHUNK_TOKENS, emptyChunk, tokenizePrompt, type EmbeddingMatcher, type EmphasisMode, type PromptChunk, type TokenizedPrompt } from "../prompts/chunks.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { chunkBatch, embeddingRows, type EmbeddingRows } from "./embedding-rows.ts";
import { applyEmphasis, type TextEmbedding } from "./text-conditioner.ts";

/** A1111's SDXL options (modules/shared_options.py, "Stable Diffusion XL" section), with their defaults. */
export interface SdxlTextOptions {
  /** opts.sdxl_crop_top / sdxl_crop_left: the crop coordinates SDXL is conditioned on (default 0). */
  readonly cropTop: number;
  readonly cropLeft: number;
  /** opts.sdxl_refiner_high_aesthetic_score (6) for prompts and ..._low_... (2.5) for negative prompts: refiner only. */
  readonly highAestheticScore: number;
  readonly lowAestheticScore: number;
  /**
   * opts.sdxl_clip_l_skip: text_encoder (CLIP ViT-L) then gives `hidden_states[-n]` for n = opts.CLIP_stop_at_last_layers
   * instead of `hidden_states[-2]` (sd_hijack_clip.py `FrozenCLIPEmbedderForSDXLWithCustomWords.encode_with_transformers`);
   * null when off (its default). text_encoder_2 always gives its penultimate layer.
   */
  readonly clipLSkip?: number | null;
}

export const DEFAULT_SDXL_TEXT_OPTIONS: SdxlTextOptions = { cropTop: 0, cropLeft: 0, highAestheticScore: 6, lowAestheticScore: 2.5 };

/** What one `get_learned_conditioning` call is for: the pass's size and whether the texts are negative prompts. */
export interface ConditioningTarget {
  readonly width: number;
  readonly height: number;
  readonly negative: boolean;
}

/** The UNet's time ids for one text (sd_models_xl.py `sdxl_conds`; the order of sgm's embedders). */
export function sdxlTimeIds(sdxl: SdxlFacts, target: ConditioningTarget, options: SdxlTextOptions): Float32Array {
  const { width, height } = target;
  if (sdxl.timeIds === "size") return Float32Array.of(height, width, options.cropTop, options.cropLeft, height, width);
  const score = target.negative ? options.lowAestheticScore : options.highAestheticScore;
  return Float32Array.of(height, width, options.cropTop, options.cropLeft, score);
}

export interface SdxlEncoderInput {
  readonly encoder: "text_encoder" | "text_encoder_2";
  readonly tokenizer: ClipTokenizer;
}

export interface SdxlEncodeOptions {
  readonly emphasis: EmphasisMode;
  readonly commaPaddingBacktrack: number;
  readonly sdxl: SdxlTextOptions;
  /** LoRAs at their text-encoder multipliers: kohya's `lora_te1_` modules go to text_encoder, `lora_te2_` to text_encoder_2. */
  readonly loras?: readonly AppliedLora[];
  /**
   * Textual-inversion embeddings matched in the prompts (lib/engine/networks/embedding-library.ts, the folder loaded at
   * the context width, 2048 for SDXL); `onUsed` is told the ones this batch used (for `TI hashes`).
   */
  readonly embeddings?: { readonly matcher: EmbeddingMatcher | null; readonly onUsed: (used: readonly LibraryEmbedding[]) => void };
}

/**
 * The token rows of `used` for one encoder: A1111's SDXL embedders read `embedding.vec["clip_l"]` and
 * `embedding.vec["clip_g"]` (sd_hijack.py `EmbeddingsWithFixes`, textual_inversion_key), a plain embedding's single
 * tensor for either. Sorted by name, so the rows (and ids) agree between the two encoders.
 */
function encoderRows(used: readonly LibraryEmbedding[], encoder: "text_encoder" | "text_encoder_2", width: number): EmbeddingRows {
  const vectorsOf = (e: LibraryEmbedding) => (encoder === "text_encoder_2" ? (e.vectors2 ?? e.vectors) : e.vectors);
  return embeddingRows(used, width, vectorsOf, (e) => `embedding ${e.name} has no ${width}-wide vectors for ${encoder}`, `${encoder}\n`);
}

/**
 * Encodes `texts` as one batch (like the SD 1.x conditioner): both encoders, the same chunk count for every text
 * (empty chunks fill in), the pooled output from the first chunk.
 */
export async function encodeSdxlTexts(
  model: DiffusionModel,
  encoders: readonly SdxlEncoderInput[],
  texts: readonly string[],
  target: ConditioningTarget,
  options: SdxlEncodeOptions,
): Promise<TextEmbedding[]> {
  const sdxl = model.facts.sdxl;
  if (sdxl === null) throw new Error(`${model.facts.name} is not an SDXL model`);
  if (encoders.length !== sdxl.encoderWidths.length) throw new RangeError(`${model.facts.name} has ${sdxl.encoderWidths.length} text encoders, not ${encoders.length}`);
  const chunkOptions = { emphasis: options.emphasis, commaPaddingBacktrack: options.commaPaddingBacktrack, embeddings: options.embeddings?.matcher ?? null };
  const tokenized: TokenizedPrompt[][] = encoders.map(({ tokenizer }) => texts.map((text) => tokenizePrompt(text, tokenizer, chunkOptions)));
  // The two tokenizers chunk alike but for rare clean-up differences; the longer one sets the count for both.
  const chunkCount = Math.max(1, ...tokenized.flat().map((t) => t.chunks.length));
  // A1111 `forward`: embeddings in the order met, chunk by chunk across the batch (the first encoder's chunks).
  const used = new Map<string, LibraryEmbedding>();
  for (let c = 0; c < chunkCount; c++) {
    for (const t of tokenized.flat()) for (const fix of t.chunks[c]?.fixes ?? []) used.set(fix.embedding.name, fix.embedding as LibraryEmbedding);
  }
  options.embeddings?.onUsed([...used.values()]);
  const total = sdxl.encoderWidths.reduce((sum, width) => sum + width, 0);
  const contexts = texts.map(() => new Float32Array(chunkCount * CHUNK_TOKENS * total));
  let pooled: Float32Array | null = null;
  let offset = 0;
  for (const [e, { encoder, tokenizer }] of encoders.entries()) {
    const width = sdxl.encoderWidths[e]!;
    const empty = emptyChunk(tokenizer);
    const table = used.size > 0 ? encoderRows([...used.values()], encoder, width) : null;
    for (let c = 0; c < chunkCount; c++) {
      const chunks: PromptChunk[] = tokenized[e]!.map((t) => t.chunks[c] ?? empty);
      const { ids, weights } = chunkBatch(chunks, table);
      const fromEnd = encoder === "text_encoder" && typeof options.sdxl.clipLSkip === "number" ? options.sdxl.clipLSkip : 2;
      const encoded = await model.encodeSdxlText(encoder, ids, texts.length, { fromEnd, loras: options.loras ?? [], tokenRows: table?.rows ?? null });
      if (c === 0 && encoded.pooled !== null) pooled = encoded.pooled;
      applyEmphasis(encoded.hidden, weights, width, options.emphasis);
      for (let i = 0; i < texts.length; i++) {
        for (let t = 0; t < CHUNK_TOKENS; t++) {
          const from = (i * CHUNK_TOKENS + t) * width;
          contexts[i]!.set(encoded.hidden.subarray(from, from + width), (c * CHUNK_TOKENS + t) * total + offset);
        }
      }
    }
    offset += width;
  }
  if (pooled === null) throw new Error(`${model.facts.name}: text_encoder_2 gave no pooled output`);
  const timeIds = sdxlTimeIds(sdxl, target, options.sdxl);
  const width = sdxl.pooledWidth;
  return texts.map((_, i) => ({
    context: contexts[i]!,
    tokens: chunkCount * CHUNK_TOKENS,
    added: { textEmbeds: pooled.slice(i * width, (i + 1) * width), timeIds },
  }));
}

/** The embedding with zeros wherever the text encoders' outputs were, time ids kept (`force_zero_embeddings`). */
export function zeroTextEmbedding(embedding: TextEmbedding): TextEmbedding {
  const added = embedding.added ?? null;
  return {
    context: new Float32Array(embedding.context.length),
    tokens: embedding.tokens,
    added: added === null ? null : { textEmbeds: new Float32Array(added.textEmbeds.length), timeIds: added.timeIds },
  };
}
