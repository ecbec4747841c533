/**
 * Textual-inversion embeddings as extra rows of a text encoder's token table (graph/text-encoder-edits.ts
 * `appendTokenRows`), and the token ids of a batch of prompt chunks pointing at those rows. Shared by the SD 1.x/2.x
 * and the SDXL text conditioners.
 */
import { PlanError } from "../errors.ts";
import { EXTRA_TOKEN_ID_BASE, type TokenRows } from "../model/index.ts";
import type { LibraryEmbedding } from "../networks/embedding-library.ts";
import { CHUNK_TOKENS, type PromptChunk } from "../prompts/chunks.ts";

export interface EmbeddingRows {
  readonly rows: TokenRows;
  /** The first row of each embedding, by name. */
  readonly start: Map<string, number>;
}

/**
 * The token rows for `used`, sorted by name so that a set of embeddings always gives the same rows, ids and key
 * (and the two SDXL encoders agree on the ids). `vectorsOf` picks an embedding's vectors for this encoder; an
 * embedding whose vectors are not `width` wide is a PlanError with `mismatch`'s sentence.
 */
export function embeddingRows(
  used: readonly LibraryEmbedding[],
  width: number,
  vectorsOf: (embedding: LibraryEmbedding) => Float32Array,
  mismatch: (embedding: LibraryEmbedding) => string,
  keyPrefix = "",
): EmbeddingRows {
  const sorted = [...used].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const count = sorted.reduce((n, e) => n + e.vectorCount, 0);
  const rows = new Float32Array(count * width);
  const start = new Map<string, number>();
  let at = 0;
  for (const embedding of sorted) {
    const vectors = vectorsOf(embedding);
    if (vectors.length !== embedding.vectorCount * width) throw new PlanError("text.embeddings", mismatch(embedding));
    rows.set(vectors, at * width);
    start.set(embedding.name, at);
    at += embedding.vectorCount;
  }
  const key = keyPrefix + sorted.map((e) => `${e.name}:${e.hash}`).join("\n");
  return { rows: { key, rows, count }, start };
}

/** Token ids and emphasis weights of one chunk per prompt, [prompts × 77], embedding positions on their rows' ids. */
export function chunkBatch(chunks: readonly PromptChunk[], table: EmbeddingRows | null): { ids: Int32Array; weights: Float32Array } {
  const ids = new Int32Array(chunks.length * CHUNK_TOKENS);
  const weights = new Float32Array(chunks.length * CHUNK_TOKENS);
  chunks.forEach((chunk, i) => {
    ids.set(chunk.ids, i * CHUNK_TOKENS);
    weights.set(chunk.weights, i * CHUNK_TOKENS);
    for (const { position, embedding } of chunk.fixes) {
      const start = table!.start.get(embedding.name)!;
      for (let k = 0; k < embedding.vectorCount; k++) ids[i * CHUNK_TOKENS + position + k] = EXTRA_TOKEN_ID_BASE + start + k;
    }
  });
  return { ids, weights };
}
