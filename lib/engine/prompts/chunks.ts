import { parsePromptAttention } from "./attention.ts";
import type { AttentionPiece } from "./attention.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";

/** A1111 `opts.emphasis`; only "None" changes tokenising (no attention parsing). */
export type EmphasisMode = "Original" | "No norm" | "Ignore" | "None";

/** 77 token ids for the text encoder and the multiplier of each position (1 at BOS, EOS and padding). */
export interface PromptChunk {
  readonly ids: Int32Array;
  readonly weights: Float32Array;
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
}

/** Prompt tokens per chunk; BOS and EOS make 77 (A1111 `chunk_length`). */
export const CHUNK_LENGTH = 75;
export const CHUNK_TOKENS = CHUNK_LENGTH + 2;

/**
 * `[BOS] + tokens + EOS padding + [EOS]`. Where the pad id differs from EOS (SD 2.x), every position after the first
 * EOS becomes the pad id, as A1111 does just before encoding (`process_tokens`).
 */
function frameChunk(tokens: readonly number[], weights: readonly number[], tokenizer: ClipTokenizer): PromptChunk {
  const ids = new Int32Array(CHUNK_TOKENS).fill(tokenizer.eosId);
  const chunkWeights = new Float32Array(CHUNK_TOKENS).fill(1);
  ids[0] = tokenizer.bosId;
  ids.set(tokens, 1);
  chunkWeights.set(weights, 1);
  if (tokenizer.padId !== tokenizer.eosId) ids.fill(tokenizer.padId, ids.indexOf(tokenizer.eosId) + 1);
  return { ids, weights: chunkWeights };
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
 * An empty prompt still gives one chunk. Textual-inversion embeddings are not looked up.
 */
export function tokenizePrompt(line: string, tokenizer: ClipTokenizer, options: ChunkOptions = {}): TokenizedPrompt {
  const backtrack = options.commaPaddingBacktrack ?? 20;
  const pieces: AttentionPiece[] = options.emphasis === "None" ? [[line, 1]] : parsePromptAttention(line);
  const chunks: PromptChunk[] = [];
  let tokens: number[] = [];
  let weights: number[] = [];
  let tokenCount = 0;
  let lastComma = -1;

  const closeChunk = (isLast: boolean) => {
    tokenCount += isLast ? tokens.length : CHUNK_LENGTH;
    chunks.push(frameChunk(tokens, weights, tokenizer));
    tokens = [];
    weights = [];
    lastComma = -1;
  };

  for (const [text, weight] of pieces) {
    if (text === "BREAK" && weight === -1) {
      closeChunk(false);
      continue;
    }
    for (const token of tokenizer.encode(text)) {
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
        closeChunk(false);
        tokens = movedTokens;
        weights = movedWeights;
      }
      if (tokens.length === CHUNK_LENGTH) closeChunk(false);
      tokens.push(token);
      weights.push(weight);
    }
  }
  if (tokens.length > 0 || chunks.length === 0) closeChunk(true);

  return { chunks, tokenCount };
}
