import { backOverPythonSpace, pythonDecimalFloat, skipPythonSpace } from "./python-text.ts";
import { pythonWholeWord } from "./python-word.ts";

/** One `AND`-separated part of a prompt and its composable-diffusion weight. */
export interface ComposablePart {
  readonly text: string;
  readonly weight: number;
}

/** A1111 `re_AND` `\bAND\b`. */
const AND = new RegExp(pythonWholeWord("AND"), "u");

/** The number of A1111 `re_weight`, `[-+]?(?:\d+\.?|\d*\.\d+)`, with Python's Unicode `\d`. */
const PART_WEIGHT_NUMBER = /^[-+]?(?:\p{Nd}+\.?|\p{Nd}*\.\p{Nd}+)$/u;

/**
 * A1111 `re_weight` `^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$` on one part, read without the regex:
 * its lazy text group stops at the first place where the rest matches, which is before the whitespace ahead of
 * the last colon when all that follows that colon is whitespace and one number, and otherwise before the trailing
 * whitespace. (The regex retries from every position of a whitespace run, which is quadratic.)
 */
function partWithWeight(part: string): ComposablePart {
  const end = backOverPythonSpace(part, part.length);
  const colon = part.lastIndexOf(":", end - 1);
  if (colon >= 0) {
    const number = part.slice(skipPythonSpace(part, colon + 1), end);
    if (PART_WEIGHT_NUMBER.test(number)) {
      return { text: part.slice(0, backOverPythonSpace(part, colon)), weight: pythonDecimalFloat(number)! };
    }
  }
  return { text: part.slice(0, end), weight: 1 };
}

/**
 * Splits a prompt for composable diffusion (A1111 modules/prompt_parser.py `get_multicond_prompt_list`):
 * on the word `AND`, each part optionally ending in `:weight` (default 1). `"a cat :1.2 AND a dog"` gives
 * `a cat` ×1.2 and ` a dog` ×1.
 */
export function splitComposablePrompt(prompt: string): ComposablePart[] {
  return prompt.split(AND).map(partWithWeight);
}
