import { pythonWholeWord } from "./python-word.ts";

/** A run of prompt text and its attention multiplier; `["BREAK", -1]` marks a chunk break. */
export type AttentionPiece = [text: string, weight: number];

/**
 * A1111 `re_attention` (modules/prompt_parser.py, v1.10.1): escapes `\( \) \[ \] \\`, a lone backslash, openers,
 * `:weight)` (whitespace allowed around the number), closers, runs of other text, and a bare colon.
 */
const ATTENTION_TOKEN = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/g;

/** A1111 `re_break` `\s*\bBREAK\b\s*`. */
const BREAK = new RegExp(String.raw`\s*${pythonWholeWord("BREAK")}\s*`, "u");

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;

/** A `:weight)` that Python's float() rejects, such as `(a:.)`; A1111 fails the request on it. */
export class InvalidAttentionWeightError extends Error {
  constructor(weight: string) {
    super(`could not convert string to float: '${weight}'`);
    this.name = "InvalidAttentionWeightError";
  }
}

function parseWeight(text: string): number {
  const weight = Number(text);
  if (Number.isNaN(weight)) throw new InvalidAttentionWeightError(text);
  return weight;
}

function multiplyFrom(pieces: AttentionPiece[], start: number, multiplier: number): void {
  for (let i = start; i < pieces.length; i++) pieces[i][1] *= multiplier;
}

/** Joins neighbours whose weights are exactly equal. */
function mergeEqualWeights(pieces: AttentionPiece[]): AttentionPiece[] {
  const merged: AttentionPiece[] = [];
  for (const piece of pieces) {
    const last = merged.at(-1);
    if (last !== undefined && last[1] === piece[1]) last[0] += piece[0];
    else merged.push(piece);
  }
  return merged;
}

/**
 * Splits a prompt into text pieces with attention weights (A1111 `parse_prompt_attention`): `(x)` ×1.1, `[x]` ÷1.1,
 * `(x:w)` ×w, nesting multiplies, unmatched openers close at the end, unmatched closers are text, and `BREAK` in
 * plain text becomes a `["BREAK", -1]` piece (multiplied like any other piece inside a group).
 */
export function parsePromptAttention(text: string): AttentionPiece[] {
  const pieces: AttentionPiece[] = [];
  const roundOpeners: number[] = [];
  const squareOpeners: number[] = [];

  for (const match of text.matchAll(ATTENTION_TOKEN)) {
    const token = match[0];
    const weight = match[1];
    if (token.startsWith("\\")) {
      pieces.push([token.slice(1), 1]);
    } else if (token === "(") {
      roundOpeners.push(pieces.length);
    } else if (token === "[") {
      squareOpeners.push(pieces.length);
    } else if (weight !== undefined && roundOpeners.length > 0) {
      multiplyFrom(pieces, roundOpeners.pop() as number, parseWeight(weight));
    } else if (token === ")" && roundOpeners.length > 0) {
      multiplyFrom(pieces, roundOpeners.pop() as number, ROUND_MULTIPLIER);
    } else if (token === "]" && squareOpeners.length > 0) {
      multiplyFrom(pieces, squareOpeners.pop() as number, SQUARE_MULTIPLIER);
    } else {
      token.split(BREAK).forEach((part, i) => {
        if (i > 0) pieces.push(["BREAK", -1]);
        pieces.push([part, 1]);
      });
    }
  }

  for (const start of roundOpeners) multiplyFrom(pieces, start, ROUND_MULTIPLIER);
  for (const start of squareOpeners) multiplyFrom(pieces, start, SQUARE_MULTIPLIER);

  if (pieces.length === 0) return [["", 1]];
  return mergeEqualWeights(pieces);
}
