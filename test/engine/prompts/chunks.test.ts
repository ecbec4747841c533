import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { CHUNK_TOKENS, emptyChunk, tokenizePrompt } from "../../../lib/engine/prompts/chunks.ts";
import type { PromptChunk } from "../../../lib/engine/prompts/chunks.ts";
import type { ClipTokenizer } from "../../../lib/engine/tokenizer/clip-tokenizer.ts";
import { createClipTokenizer, loadClipTokenizer } from "../../../lib/engine/tokenizer/clip-tokenizer.ts";

// Chunking rules: docs/a1111-semantics.md §7.3 (A1111 modules/sd_hijack_clip.py `tokenize_line`, `empty_chunk`, v1.10.1).
// Ids: docs/engine-reference.md §6.2 — BOS 49406, EOS 49407, "a" 320, "photo" 1125, "of" 539, "cat" 2368, "," 267.
const BOS = 49406;
const EOS = 49407;
const A = 320;
const COMMA = 267;

const ASSETS = fileURLToPath(new URL("../../../assets/clip-tokenizer/", import.meta.url));

let tokenizer: ClipTokenizer;
beforeAll(async () => {
  tokenizer = await loadClipTokenizer(ASSETS);
});

/** `[BOS] + tokens + padding + [EOS]` as 77 ids. */
function framedIds(tokens: number[], pad = EOS): number[] {
  return [BOS, ...tokens, ...Array<number>(CHUNK_TOKENS - 2 - tokens.length).fill(pad), EOS];
}

const ids = (chunk: PromptChunk) => Array.from(chunk.ids);
const words = (word: string, count: number) => Array<string>(count).fill(word).join(" ");

describe("one chunk", () => {
  it("frames a short prompt as BOS + tokens + EOS padding, all weights 1", () => {
    const { chunks, tokenCount } = tokenizePrompt("a photo of a cat", tokenizer);
    expect(chunks).toHaveLength(1);
    expect(ids(chunks[0])).toEqual(framedIds([320, 1125, 539, 320, 2368]));
    expect(chunks[0].ids).toBeInstanceOf(Int32Array);
    expect(chunks[0].weights).toBeInstanceOf(Float32Array);
    expect(Array.from(chunks[0].weights)).toEqual(Array<number>(CHUNK_TOKENS).fill(1));
    expect(tokenCount).toBe(5);
  });

  it("gives an empty prompt one chunk equal to emptyChunk()", () => {
    const { chunks, tokenCount } = tokenizePrompt("", tokenizer);
    expect(chunks).toEqual([emptyChunk(tokenizer)]);
    expect(ids(chunks[0])).toEqual(framedIds([]));
    expect(tokenCount).toBe(0);
  });
});

describe("75-token chunks", () => {
  it("fits exactly 75 tokens in one chunk", () => {
    const { chunks, tokenCount } = tokenizePrompt(words("a", 75), tokenizer);
    expect(chunks.map(ids)).toEqual([framedIds(Array<number>(75).fill(A))]);
    expect(tokenCount).toBe(75);
  });

  it("starts a second chunk at the 76th token", () => {
    const { chunks, tokenCount } = tokenizePrompt(words("a", 76), tokenizer);
    expect(chunks.map(ids)).toEqual([framedIds(Array<number>(75).fill(A)), framedIds([A])]);
    expect(tokenCount).toBe(76);
  });
});

describe("comma padding backtrack", () => {
  // 70 × "a", a comma at position 70, then 10 × "a": the chunk is full after 4 of them.
  const prompt = `${words("a", 70)}, ${words("a", 10)}`;

  it("moves the tokens after a comma at most 20 back into the next chunk", () => {
    const { chunks, tokenCount } = tokenizePrompt(prompt, tokenizer);
    expect(chunks.map(ids)).toEqual([
      framedIds([...Array<number>(70).fill(A), COMMA]),
      framedIds(Array<number>(10).fill(A)),
    ]);
    expect(tokenCount).toBe(85);
  });

  it("moves the weights with their tokens", () => {
    const { chunks } = tokenizePrompt(`${words("a", 70)}, ${words("a", 3)} (a) ${words("a", 6)}`, tokenizer);
    expect(Array.from(chunks[0].weights.subarray(71, 76))).toEqual([1, 1, 1, 1, 1]);
    expect(chunks[1].weights[4]).toBeCloseTo(1.1, 6);
    expect(Array.from(chunks[1].weights.subarray(1, 4))).toEqual([1, 1, 1]);
  });

  it("splits at 75 when backtracking is disabled", () => {
    const { chunks } = tokenizePrompt(prompt, tokenizer, { commaPaddingBacktrack: 0 });
    expect(chunks.map(ids)).toEqual([
      framedIds([...Array<number>(70).fill(A), COMMA, ...Array<number>(4).fill(A)]),
      framedIds(Array<number>(6).fill(A)),
    ]);
  });

  it("splits at 75 when the last comma is further back than the limit", () => {
    const far = `${words("a", 50)}, ${words("a", 30)}`;
    const { chunks } = tokenizePrompt(far, tokenizer, { commaPaddingBacktrack: 20 });
    expect(chunks.map(ids)).toEqual([
      framedIds([...Array<number>(50).fill(A), COMMA, ...Array<number>(24).fill(A)]),
      framedIds(Array<number>(6).fill(A)),
    ]);
    expect(tokenizePrompt(far, tokenizer, { commaPaddingBacktrack: 25 }).chunks.map(ids)).toEqual([
      framedIds([...Array<number>(50).fill(A), COMMA]),
      framedIds(Array<number>(30).fill(A)),
    ]);
  });
});

describe("BREAK", () => {
  it("closes the chunk at a BREAK marker", () => {
    const { chunks, tokenCount } = tokenizePrompt("a photo BREAK a cat", tokenizer);
    expect(chunks.map(ids)).toEqual([framedIds([A, 1125]), framedIds([A, 2368])]);
    expect(tokenCount).toBe(77);
  });

  it("tokenises BREAK inside an emphasis group as a word (its weight is not exactly −1)", () => {
    const { chunks } = tokenizePrompt("(cat BREAK dog)", tokenizer);
    expect(ids(chunks[0])).toEqual(framedIds(tokenizer.encode("cat BREAK dog")));
    expect(chunks).toHaveLength(1);
  });
});

describe("attention weights", () => {
  it("gives every token its piece's weight and 1 at BOS, EOS and padding", () => {
    // docs/a1111-semantics.md §7.2: "a (b:1.5) c" → a ×1, b ×1.5, c ×1; "[[a]]" ×1/1.1².
    const { chunks } = tokenizePrompt("a photo (of:1.5) [[a]] cat", tokenizer);
    expect(ids(chunks[0])).toEqual(framedIds([320, 1125, 539, 320, 2368]));
    const weights = Array.from(chunks[0].weights);
    expect(weights.slice(0, 3)).toEqual([1, 1, 1]);
    expect(weights[3]).toBeCloseTo(1.5, 6);
    expect(weights[4]).toBeCloseTo(0.8264462809917354, 6);
    expect(weights.slice(5)).toEqual(Array<number>(CHUNK_TOKENS - 5).fill(1));
  });

  it("tokenises each piece on its own, so pieces never share a token", () => {
    const { chunks } = tokenizePrompt("master(piece)", tokenizer);
    const pieces = [...tokenizer.encode("master"), ...tokenizer.encode("piece")];
    expect(ids(chunks[0])).toEqual(framedIds(pieces));
    expect(pieces).not.toEqual(tokenizer.encode("masterpiece"));
  });

  it('keeps parentheses as text with emphasis "None"', () => {
    const { chunks } = tokenizePrompt("an (important) word", tokenizer, { emphasis: "None" });
    expect(ids(chunks[0])).toEqual(framedIds(tokenizer.encode("an (important) word")));
    expect(Array.from(chunks[0].weights)).toEqual(Array<number>(CHUNK_TOKENS).fill(1));
  });
});

describe("pad id 0 (SD 2.x)", () => {
  let sd2Tokenizer: ClipTokenizer;
  beforeAll(async () => {
    const [vocab, merges] = await Promise.all([
      readFile(`${ASSETS}vocab.json`, "utf8").then((text) => JSON.parse(text) as unknown),
      readFile(`${ASSETS}merges.txt`, "utf8"),
    ]);
    // docs/engine-reference.md §6.1: SD 2.x tokenizer_config.json names pad_token "!" (id 0).
    sd2Tokenizer = createClipTokenizer({ vocab, merges, tokenizerConfig: { pad_token: "!" } });
  });
  const sd2 = () => sd2Tokenizer;

  it("sets every position after the first EOS to 0", () => {
    const { chunks } = tokenizePrompt("a photo of a cat", sd2());
    expect(ids(chunks[0])).toEqual([BOS, 320, 1125, 539, 320, 2368, EOS, ...Array<number>(70).fill(0)]);
  });

  it("pads the empty chunk the same way", () => {
    expect(ids(emptyChunk(sd2()))).toEqual([BOS, EOS, ...Array<number>(75).fill(0)]);
    expect(Array.from(emptyChunk(sd2()).weights)).toEqual(Array<number>(CHUNK_TOKENS).fill(1));
  });

  it("leaves a full chunk's final EOS as the only EOS", () => {
    const { chunks } = tokenizePrompt(words("a", 75), sd2());
    expect(ids(chunks[0])).toEqual(framedIds(Array<number>(75).fill(A)));
  });
});
