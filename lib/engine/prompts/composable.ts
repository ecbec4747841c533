import { pythonWholeWord } from "./python-word.ts";

/** One `AND`-separated part of a prompt and its composable-diffusion weight. */
export interface ComposablePart {
  readonly text: string;
  readonly weight: number;
}

/** A1111 `re_AND` `\bAND\b`. */
const AND = new RegExp(pythonWholeWord("AND"), "u");

/** A1111 `re_weight`: the text, then an optional `:weight` and trailing whitespace. */
const PART_WEIGHT = /^((?:\s|.)*?)(?:\s*:\s*([-+]?(?:\d+\.?|\d*\.\d+)))?\s*$/;

/**
 * Splits a prompt for composable diffusion (A1111 modules/prompt_parser.py `get_multicond_prompt_list`):
 * on the word `AND`, each part optionally ending in `:weight` (default 1). `"a cat :1.2 AND a dog"` gives
 * `a cat` ×1.2 and ` a dog` ×1.
 */
export function splitComposablePrompt(prompt: string): ComposablePart[] {
  return prompt.split(AND).map((part) => {
    // The pattern matches every string: the lazy text group can take all of it.
    const match = PART_WEIGHT.exec(part) as RegExpExecArray;
    return { text: match[1], weight: match[2] === undefined ? 1 : Number(match[2]) };
  });
}
