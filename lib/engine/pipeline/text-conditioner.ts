/**
 * Prompt text → text-encoder embeddings the way A1111 builds them (modules/sd_hijack_clip.py, sd_emphasis.py):
 * texts encoded together are chunked to 77 tokens, padded to the same chunk count with empty chunks, encoded one
 * chunk index at a time across the batch, weighted per token, and concatenated along the token axis.
 */
import type { DiffusionModel } from "../model/index.ts";
import { CHUNK_TOKENS, emptyChunk, tokenizePrompt, type EmphasisMode, type PromptChunk } from "../prompts/chunks.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";

export interface TextEmbedding {
  /** [tokens, hidden] values, row-major. */
  readonly context: Float32Array;
  /** 77 × chunks. */
  readonly tokens: number;
}

export interface ConditionerOptions {
  readonly emphasis: EmphasisMode;
  readonly commaPaddingBacktrack: number;
  /**
   * A1111 `CLIP_stop_at_last_layers` (default 1). SD 1.x encodes with `final_layer_norm(hidden_states[-n])`
   * (modules/sd_hijack_clip.py `FrozenCLIPEmbedderWithCustomWords.encode_with_transformers`); A1111's OpenCLIP
   * encoder for SD 2.x ignores the setting (sd_hijack_open_clip.py `encode_with_transformers` calls the wrapped
   * encoder unchanged: its export already stops at the penultimate layer), and so does Serena there.
   */
  readonly clipSkip?: number;
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * Emphasis on one chunk index's output z [T, 77, D] (A1111 `EmphasisOriginal.after_transformers`): multiply each
 * token's vector by its weight, then ("Original") rescale so the mean over the whole batch tensor is unchanged.
 */
export function applyEmphasis(z: Float32Array, weights: Float32Array, hidden: number, mode: EmphasisMode): void {
  if (mode === "Ignore" || mode === "None") return;
  const before = mode === "Original" ? mean(z) : 0;
  for (let token = 0; token < weights.length; token++) {
    const w = weights[token]!;
    if (w === 1) continue;
    const row = z.subarray(token * hidden, (token + 1) * hidden);
    for (let k = 0; k < hidden; k++) row[k]! *= w;
  }
  if (mode !== "Original") return;
  const after = mean(z);
  if (after === 0 || before === after) return;
  const scale = before / after;
  for (let i = 0; i < z.length; i++) z[i]! *= scale;
}

export class TextConditioner {
  readonly #model: DiffusionModel;
  readonly #tokenizer: ClipTokenizer;
  readonly #options: ConditionerOptions;

  constructor(model: DiffusionModel, tokenizer: ClipTokenizer, options: ConditionerOptions) {
    this.#model = model;
    this.#tokenizer = tokenizer;
    this.#options = options;
  }

  get #clipSkip(): number {
    return this.#model.facts.family === "sd1" ? (this.#options.clipSkip ?? 1) : 1;
  }

  /** Encodes texts as one batch, as A1111's `get_learned_conditioning` does; every result has the same length. */
  async encode(texts: readonly string[]): Promise<TextEmbedding[]> {
    const hidden = this.#model.facts.textHiddenSize;
    const tokenized = texts.map((t) =>
      tokenizePrompt(t, this.#tokenizer, {
        emphasis: this.#options.emphasis,
        commaPaddingBacktrack: this.#options.commaPaddingBacktrack,
      }),
    );
    const chunkCount = Math.max(1, ...tokenized.map((t) => t.chunks.length));
    const empty = emptyChunk(this.#tokenizer);
    const perChunk: Float32Array[] = [];
    for (let c = 0; c < chunkCount; c++) {
      const chunks: PromptChunk[] = tokenized.map((t) => t.chunks[c] ?? empty);
      const ids = new Int32Array(texts.length * CHUNK_TOKENS);
      const weights = new Float32Array(texts.length * CHUNK_TOKENS);
      chunks.forEach((chunk, i) => {
        ids.set(chunk.ids, i * CHUNK_TOKENS);
        weights.set(chunk.weights, i * CHUNK_TOKENS);
      });
      const z = await this.#model.encodeText(ids, texts.length, { clipSkip: this.#clipSkip });
      applyEmphasis(z, weights, hidden, this.#options.emphasis);
      perChunk.push(z);
    }
    const tokens = chunkCount * CHUNK_TOKENS;
    const rowSize = CHUNK_TOKENS * hidden;
    return texts.map((_, i) => {
      const context = new Float32Array(tokens * hidden);
      perChunk.forEach((z, c) => context.set(z.subarray(i * rowSize, (i + 1) * rowSize), c * rowSize));
      return { context, tokens };
    });
  }
}
