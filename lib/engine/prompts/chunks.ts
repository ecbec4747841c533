import { parsePromptAttention } from "./attention.ts";
import type { AttentionPiece } from "./attention.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";

/** A1111 `opts.emphasis`; only "None" changes tokenising (no attention parsing). */
export type EmphasisMode = "Original" | "No norm" | "Ignore" | "None";

/** A textual-inversion embedding as the chunker sees it: a name and how many token positions it takes. */
export interface PromptEmbedding {
  readonly name: string;
  readonly vectorCount: number;
}

/**
 * Finds textual-inversion embeddings in a prompt piece's token ids (A1111 textual_inversion.py
 * `EmbeddingDatabase.find_embedding_at_position`): the embedding whose name's token ids start at `position`, the
 * longest first, and how many of the piece's tokens its name takes; null when none does. It may throw to refuse an
 * embedding it knows of but will not use.
 */
export interface EmbeddingMatcher {
  find(tokens: readonly number[], position: number): { readonly embedding: PromptEmbedding; readonly length: number } | null;
}

/** An embedding's place in a chunk: its first position among the 77 (BOS is position 0) (A1111 `PromptChunkFix`). */
export interface ChunkFix {
  readonly position: number;
  readonly embedding: PromptEmbedding;
}

/**
 * 77 token ids for the text encoder and the multiplier of each position (1 at BOS, EOS and padding). Positions an
 * embedding takes hold id 0 (as A1111's chunks do) and are listed in `fixes`; the text conditioner gives them the
 * embedding's vectors.
 */
export interface PromptChunk {
  readonly ids: Int32Array;
  readonly weights: Float32Array;
  readonly fixes: readonly ChunkFix[];
}

export interface TokenizedPrompt {
  readonly chunks: PromptChunk[];
  /** Prompt tokens, counting 75 for every chunk but the last (A1111 `token_count`). */
  readonly tokenCount: number;
}

export interface ChunkOptions {
  /** Default "Original". */
  readonly emphasis?: EmphasisMode;
  /** A1111 `opts.comma_padding_backtrack`: how far back a comma may move a chunk's tail on; 0 disables. Default 20. */
  readonly commaPaddingBacktrack?: number;
  /** Textual-inversion embeddings to recognise; none when absent. */
  readonly embeddings?: EmbeddingMatcher | null;
}

/** Prompt tokens per chunk; BOS and EOS make 77 (A1111 `chunk_length`). */
export const CHUNK_LENGTH = 75;
export const CHUNK_TOKENS = CHUNK_LENGTH + 2;

/**
 * `[BOS] + tokens + EOS padding + [EOS]`. Where the pad id differs from EOS (SD 2.x), every position after the first
 * EOS becomes the pad id, as A1111 does just before encoding (`process_tokens`).
 */
function frameChunk(tokens: readonly number[], weights: readonly number[], tokenizer: ClipTokenizer, fixes: readonly ChunkFix[] = []): PromptChunk {
  const ids = new Int32Array(CHUNK_TOKENS).fill(tokenizer.eosId);
  const chunkWeights = new Float32Array(CHUNK_TOKENS).fill(1);
  ids[0] = tokenizer.bosId;
  ids.set(tokens, 1);
  chunkWeights.set(weights, 1);
  if (tokenizer.padId !== tokenizer.eosId) ids.fill(tokenizer.padId, ids.indexOf(tokenizer.eosId) + 1);
  return { ids, weights: chunkWeights, fixes };
}

/** BOS followed by EOS padding, all weights 1: fills in for prompts with fewer chunks (A1111 `empty_chunk`). */
export function emptyChunk(tokenizer: ClipTokenizer): PromptChunk {
  return frameChunk([], [], tokenizer);
}

/**
 * Tokenises one prompt into 77-token chunks with per-token weights (A1111 modules/sd_hijack_clip.py `tokenize_line`,
 * v1.10.1). Each attention piece is tokenised on its own. A chunk closes when it holds 75 tokens, at a `BREAK`
 * piece (weight exactly −1), or, when a token would overflow it and the last comma lies at most
 * `commaPaddingBacktrack` tokens back, right after that comma, the tokens behind the comma moving to the next chunk.
 * An empty prompt still gives one chunk. With `embeddings`, a token sequence naming an embedding takes as many
 * positions as the embedding has vectors, with the piece's weight; when they would not fit in the current chunk, the
 * chunk is closed first (without comma back-tracking), so an embedding never spans two chunks. When comma
 * back-tracking moves tokens behind an embedding to the next chunk, A1111 moves the embedding's placeholder ids but
 * not its fix, so its vectors land on the closed chunk's padding at the old positions; Serena does the same.
 */
export function tokenizePrompt(line: string, tokenizer: ClipTokenizer, options: ChunkOptions = {}): TokenizedPrompt {
  const backtrack = options.commaPaddingBacktrack ?? 20;
  const pieces: AttentionPiece[] = options.emphasis === "None" ? [[line, 1]] : parsePromptAttention(line);
  const chunks: PromptChunk[] = [];
  let tokens: number[] = [];
  let weights: number[] = [];
  let fixes: ChunkFix[] = [];
  let tokenCount = 0;
  let lastComma = -1;

  // A1111 `next_chunk`: pads to 75, frames, and starts an empty chunk (fixes stay with the tokens they describe).
  const closeChunk = (isLast: boolean) => {
    tokenCount += isLast ? tokens.length : CHUNK_LENGTH;
    chunks.push(frameChunk(tokens, weights, tokenizer, fixes));
    tokens = [];
    weights = [];
    fixes = [];
    lastComma = -1;
  };

  for (const [text, weight] of pieces) {
    if (text === "BREAK" && weight === -1) {
      closeChunk(false);
      continue;
    }
    const pieceTokens = tokenizer.encode(text);
    let position = 0;
    while (position < pieceTokens.length) {
      const token = pieceTokens[position]!;
      if (token === tokenizer.commaId) {
        lastComma = tokens.length;
      } else if (
        backtrack !== 0 &&
        tokens.length === CHUNK_LENGTH &&
        lastComma !== -1 &&
        tokens.length - lastComma <= backtrack
      ) {
        const movedTokens = tokens.splice(lastComma + 1);
        const movedWeights = weights.splice(lastComma + 1);
        // As A1111: an embedding's fix stays with the closed chunk (its vectors land on that chunk's padding at the
        // same positions) while its placeholder ids move on as token 0.
        closeChunk(false);
        tokens = movedTokens;
        weights = movedWeights;
      }
      if (tokens.length === CHUNK_LENGTH) closeChunk(false);

      const found = options.embeddings?.find(pieceTokens, position) ?? null;
      if (found === null) {
        tokens.push(token);
        weights.push(weight);
        position++;
        continue;
      }
      const count = found.embedding.vectorCount;
      if (tokens.length + count > CHUNK_LENGTH) closeChunk(false);
      // Positions count from BOS at 0 (A1111's fix offsets count from the first prompt token, then add 1).
      fixes.push({ position: tokens.length + 1, embedding: found.embedding });
      for (let k = 0; k < count; k++) {
        tokens.push(0);
        weights.push(weight);
      }
      position += found.length;
    }
  }
  if (tokens.length > 0 || chunks.length === 0) closeChunk(true);

  return { chunks, tokenCount };
}
