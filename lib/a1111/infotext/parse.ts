/**
 * Reading an infotext back into fields, as A1111's `infotext_utils.parse_generation_parameters` does
 * (docs/a1111-semantics.md §4.3). Every parsed value stays a string; defaults for absent keys are added after parsing.
 */
import { parsePromptAttention } from "../../engine/prompts/attention.ts";

const PARAM = /\s*([\p{L}\p{N}_][\p{L}\p{N}_ \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)/gu;
const IMAGE_SIZE = /^(\d+)x(\d+)$/;

const DEFAULTS: ReadonlyArray<readonly [string, unknown]> = [
  ["Clip skip", "1"],
  ["Hires sampler", "Use same sampler"],
  ["Hires schedule type", "Use same scheduler"],
  ["Hires checkpoint", "Use same checkpoint"],
  ["Hires prompt", ""],
  ["Hires negative prompt", ""],
  ["Mask mode", "Inpaint masked"],
  ["Masked content", "original"],
  ["Inpaint area", "Whole picture"],
  ["Masked area padding", 32],
  ["RNG", "GPU"],
  ["Schedule type", "Automatic"],
  ["Schedule max sigma", 0],
  ["Schedule min sigma", 0],
  ["Schedule rho", 0],
  ["VAE Encoder", "Full"],
  ["VAE Decoder", "Full"],
  ["FP8 weight", "Disable"],
];

function paramMatches(line: string): Array<[string, string]> {
  return [...line.matchAll(PARAM)].map((m) => [m[1]!, m[2]!]);
}

function unquote(v: string): string {
  try {
    const parsed: unknown = JSON.parse(v);
    return typeof parsed === "string" ? parsed : v;
  } catch {
    return v;
  }
}

export function parseGenerationParameters(text: string): Record<string, unknown> {
  const res: Record<string, unknown> = {};
  const lines = text.trim().split("\n");
  let lastLine = lines.pop() ?? "";
  if (paramMatches(lastLine).length < 3) {
    lines.push(lastLine);
    lastLine = "";
  }

  let prompt = "";
  let negativePrompt = "";
  let doneWithPrompt = false;
  for (const raw of lines) {
    let line = raw.trim();
    if (line.startsWith("Negative prompt:")) {
      doneWithPrompt = true;
      line = line.slice(16).trim();
    }
    if (doneWithPrompt) negativePrompt += (negativePrompt === "" ? "" : "\n") + line;
    else prompt += (prompt === "" ? "" : "\n") + line;
  }

  for (const [key, rawValue] of paramMatches(lastLine)) {
    // A1111 reads v[0] first: an empty value raises IndexError there, and the entry is skipped.
    if (rawValue === "") continue;
    const value = rawValue.length > 1 && rawValue.startsWith('"') && rawValue.endsWith('"') ? unquote(rawValue) : rawValue;
    const size = IMAGE_SIZE.exec(value);
    if (size) {
      res[`${key}-1`] = size[1];
      res[`${key}-2`] = size[2];
    } else {
      res[key] = value;
    }
  }

  res["Prompt"] = prompt;
  res["Negative prompt"] = negativePrompt;
  if (!("Hires resize-1" in res)) {
    res["Hires resize-1"] = 0;
    res["Hires resize-2"] = 0;
  }
  for (const [key, value] of DEFAULTS) if (!(key in res)) res[key] = value;
  if (res["FP8 weight"] !== "Disable" && !("Cache FP16 weight for LoRA" in res)) res["Cache FP16 weight for LoRA"] = false;

  const pieces = [...parsePromptAttention(prompt), ...parsePromptAttention(negativePrompt)];
  const usesEmphasis = pieces.some(([text, weight]) => weight !== 1 && text !== "BREAK");
  if (!("Emphasis" in res) && usesEmphasis) res["Emphasis"] = "Original";
  if (!("Refiner switch by sampling steps" in res)) res["Refiner switch by sampling steps"] = false;
  return res;
}
