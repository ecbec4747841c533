import { isPythonSpace, pythonDecimalFloat, skipPythonSpace } from "./python-text.ts";
import { pythonWholeWord } from "./python-word.ts";

/** A run of prompt text and its attention multiplier; `["BREAK", -1]` marks a chunk break. */
export type AttentionPiece = [text: string, weight: number];

/**
 * One token of A1111 `re_attention` (modules/prompt_parser.py, v1.10.1), whose alternatives are, in order: the
 * escapes `\( \) \[ \] \\`, a lone backslash, the openers, `:\s*([+-]?[.\d]+)\s*\)` (a weight), the closers, a run
 * of other text `[^\\()[\]:]+`, and a bare colon. Read by hand rather than by a regex: every alternative's choice
 * is forced (no shorter `\s*` or digit run can be followed by what comes next), so a scan gives the same tokens,
 * and several times faster. Python's `\s` and `\d` are Unicode-aware (python-text.ts), so `(a:٣)` has weight 3
 * there as here.
 */
interface Token {
  kind: "escape" | "(" | "[" | "weight" | ")" | "]" | "text";
  start: number;
  end: number;
  /** The text a piece gets (escapes: the character after the backslash; text: the run). */
  text: string;
  /** The weight as written, for "weight" tokens. */
  weight: string;
}

const ESCAPABLE = "()[]\\";
const DECIMAL_DIGIT = /^\p{Nd}$/u;

/** End of the `[.\d]+` run at `pos` (by code point: some decimal digits are astral). */
function weightRunEnd(text: string, pos: number): number {
  let i = pos;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x2e || (c >= 0x30 && c <= 0x39)) {
      i += 1;
      continue;
    }
    if (c < 0x80) break;
    const codePoint = text.codePointAt(i)!;
    const width = codePoint > 0xffff ? 2 : 1;
    if (!DECIMAL_DIGIT.test(text.slice(i, i + width))) break;
    i += width;
  }
  return i;
}

/** The weight token at a colon, `:\s*([+-]?[.\d]+)\s*\)`, or null. */
function weightToken(text: string, colon: number, token: Token): boolean {
  let i = skipPythonSpace(text, colon + 1);
  const numberStart = i;
  if (text[i] === "+" || text[i] === "-") i += 1;
  const runEnd = weightRunEnd(text, i);
  if (runEnd === i) return false;
  const close = skipPythonSpace(text, runEnd);
  if (text[close] !== ")") return false;
  token.kind = "weight";
  token.weight = text.slice(numberStart, runEnd);
  token.end = close + 1;
  return true;
}

/** Fills `token` with the token at `pos` (pos < text.length). */
function readToken(text: string, pos: number, token: Token): void {
  const c = text[pos]!;
  token.start = pos;
  token.end = pos + 1;
  switch (c) {
    case "\\":
      token.kind = "escape";
      if (pos + 1 < text.length && ESCAPABLE.includes(text[pos + 1]!)) {
        token.text = text[pos + 1]!;
        token.end = pos + 2;
      } else token.text = "";
      return;
    case "(":
    case "[":
    case ")":
    case "]":
      token.kind = c;
      return;
    case ":":
      if (weightToken(text, pos, token)) return;
      token.kind = "text";
      token.text = ":";
      return;
    default: {
      let end = pos + 1;
      while (end < text.length && !TOKEN_STOP.has(text[end]!)) end++;
      token.kind = "text";
      token.text = text.slice(pos, end);
      token.end = end;
    }
  }
}

const TOKEN_STOP = new Set(["\\", "(", ")", "[", "]", ":"]);

/** Calls `visit` with each token of `text`, in order. */
function forEachToken(text: string, visit: (token: Token) => void): void {
  const token: Token = { kind: "text", start: 0, end: 0, text: "", weight: "" };
  for (let pos = 0; pos < text.length; pos = token.end) {
    readToken(text, pos, token);
    visit(token);
  }
}

/** The word of A1111 `re_break` `\s*\bBREAK\b\s*`; the whitespace around it is taken by hand (splitOnBreak). */
const BREAK_WORD = new RegExp(pythonWholeWord("BREAK"), "gu");

const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;

/**
 * A `:weight)` that Python's `float()` rejects, such as `(a:.)` or `(a:1.2.3)`: A1111's `parse_prompt_attention`
 * raises ValueError there and the request fails.
 */
export class InvalidAttentionWeightError extends Error {
  readonly weight: string;
  constructor(weight: string) {
    super(`could not convert string to float: '${weight}'`);
    this.name = "InvalidAttentionWeightError";
    this.weight = weight;
  }
}

/** Raised when `maxWeightUpdates` is exceeded: the caller asked for a bounded parse. */
export class AttentionTooComplexError extends Error {
  constructor(limit: number) {
    super(`the prompt's attention groups need more than ${limit} weight updates`);
    this.name = "AttentionTooComplexError";
  }
}

/**
 * `re.split(re_break, text)` without the regex: `\s*` before the word may start anywhere in the whitespace run that
 * ends at it (the leftmost start wins, never before the previous match's end), `\s*` after it is greedy. Linear,
 * where the regex retries `\s*` from every position of a long whitespace run.
 */
function splitOnBreak(text: string): string[] {
  if (!text.includes("BREAK")) return [text];
  const parts: string[] = [];
  let from = 0;
  BREAK_WORD.lastIndex = 0;
  for (let m = BREAK_WORD.exec(text); m !== null; m = BREAK_WORD.exec(text)) {
    let start = m.index;
    while (start > from && isPythonSpace(text[start - 1])) start--;
    let end = m.index + "BREAK".length;
    while (end < text.length && isPythonSpace(text[end])) end++;
    parts.push(text.slice(from, start));
    from = end;
    BREAK_WORD.lastIndex = end;
  }
  parts.push(text.slice(from));
  return parts;
}

function parseWeight(text: string): number {
  const weight = pythonDecimalFloat(text);
  if (weight === null) throw new InvalidAttentionWeightError(text);
  return weight;
}

/** Pieces joined where neighbours' weights are exactly equal. */
function mergeEqualWeights(texts: readonly string[], weights: readonly number[]): AttentionPiece[] {
  const merged: AttentionPiece[] = [];
  let last: AttentionPiece | undefined;
  for (let i = 0; i < texts.length; i++) {
    if (last !== undefined && last[1] === weights[i]) last[0] += texts[i]!;
    else merged.push((last = [texts[i]!, weights[i]!]));
  }
  return merged;
}

export interface AttentionOptions {
  /**
   * Stop with AttentionTooComplexError after this many piece-weight multiplications. A1111's algorithm multiplies
   * every piece after a group's opener when the group closes, which is quadratic for prompts like `(a(a(a…)))`;
   * callers reading untrusted text without a length limit bound it here.
   */
  readonly maxWeightUpdates?: number;
}

/**
 * Splits a prompt into text pieces with attention weights (A1111 `parse_prompt_attention`): `(x)` ×1.1, `[x]` ÷1.1,
 * `(x:w)` ×w, nesting multiplies, unmatched openers close at the end, unmatched closers are text, and `BREAK` in
 * plain text becomes a `["BREAK", -1]` piece (multiplied like any other piece inside a group). Weights are
 * multiplied in A1111's order, so they are the same doubles. A weight Python cannot read throws
 * InvalidAttentionWeightError, as A1111 raises.
 */
export function parsePromptAttention(text: string, options: AttentionOptions = {}): AttentionPiece[] {
  // The pieces as two parallel lists, texts and weights: A1111's `res` of [text, weight] pairs.
  const texts: string[] = [];
  const weights: number[] = [];
  const roundOpeners: number[] = [];
  const squareOpeners: number[] = [];
  const budget = options.maxWeightUpdates ?? Infinity;
  let updates = 0;

  const push = (piece: string, weight: number) => {
    texts.push(piece);
    weights.push(weight);
  };
  const multiplyFrom = (start: number, multiplier: number) => {
    updates += weights.length - start;
    if (updates > budget) throw new AttentionTooComplexError(budget);
    for (let i = start; i < weights.length; i++) weights[i]! *= multiplier;
  };

  forEachToken(text, (token) => {
    if (token.kind === "escape") {
      push(token.text, 1);
    } else if (token.kind === "(") {
      roundOpeners.push(weights.length);
    } else if (token.kind === "[") {
      squareOpeners.push(weights.length);
    } else if (token.kind === "weight" && roundOpeners.length > 0) {
      multiplyFrom(roundOpeners.pop()!, parseWeight(token.weight));
    } else if (token.kind === ")" && roundOpeners.length > 0) {
      multiplyFrom(roundOpeners.pop()!, ROUND_MULTIPLIER);
    } else if (token.kind === "]" && squareOpeners.length > 0) {
      multiplyFrom(squareOpeners.pop()!, SQUARE_MULTIPLIER);
    } else {
      // Text, and unmatched closers or weights, which are text as written.
      const written = token.kind === "text" ? token.text : text.slice(token.start, token.end);
      if (!written.includes("BREAK")) return push(written, 1);
      splitOnBreak(written).forEach((part, i) => {
        if (i > 0) push("BREAK", -1);
        push(part, 1);
      });
    }
  });

  for (const start of roundOpeners) multiplyFrom(start, ROUND_MULTIPLIER);
  for (const start of squareOpeners) multiplyFrom(start, SQUARE_MULTIPLIER);

  if (texts.length === 0) return [["", 1]];
  return mergeEqualWeights(texts, weights);
}

/**
 * The first `:weight)` of `text` that `parse_prompt_attention` would pass to `float()` and `float()` rejects, or
 * null: the same scan without the weights, so it is linear however deeply groups nest.
 */
export function invalidAttentionWeight(text: string): string | null {
  let openRound = 0;
  let invalid: string | null = null;
  forEachToken(text, (token) => {
    if (invalid !== null) return;
    if (token.kind === "(") openRound++;
    else if ((token.kind === "weight" || token.kind === ")") && openRound > 0) {
      if (token.kind === "weight" && pythonDecimalFloat(token.weight) === null) invalid = token.weight;
      openRound--;
    }
  });
  return invalid;
}
