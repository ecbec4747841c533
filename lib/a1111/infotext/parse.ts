/**
 * Reading an infotext back into fields, as A1111's `infotext_utils.parse_generation_parameters` does (v1.10.1).
 * Every parsed value stays a string; defaults for absent keys are added after parsing. The parameter line is
 * read by param-line.ts's linear scanner, which returns exactly what A1111's `re_param.findall` does; Python's
 * `strip()` and Unicode `\d` are kept, so the results are A1111's for every text.
 *
 * The work is linear in the text's length, apart from the attention parse that decides the "Emphasis" default:
 * that one is bounded (LIMITS.maxInfotextAttentionUpdates). Callers bound the text itself (png-info:
 * LIMITS.maxInfotextChars).
 */
import { AttentionTooComplexError, InvalidAttentionWeightError, parsePromptAttention } from "../../engine/prompts/attention.ts";
import { pythonDecimalFloat, pythonStrip } from "../../engine/prompts/python-text.ts";
import { LIMITS } from "../schemas/limits.ts";
import { findParams } from "./param-line.ts";

/** A1111 `re_imagesize` `^(\d+)x(\d+)$`: Python's `\d` is any decimal digit, and `$` also matches before a final newline. */
const IMAGE_SIZE = /^(\p{Nd}+)x(\p{Nd}+)\n?$/u;

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

/** A1111 sets the defaults up to "Masked area padding", then restores old hires fix sizes, then the rest. */
const MASKED_AREA_PADDING = DEFAULTS.findIndex(([key]) => key === "Masked area padding");

/** Python `int()` of the digit strings re_imagesize captures. */
const pyInt = (digits: unknown) => pythonDecimalFloat(String(digits)) ?? Number.NaN;

/**
 * A1111 `restore_old_hires_fix_params` with its default setting (`use_old_hires_fix_width_height` off): an infotext
 * from before hires fix took a scale names its first pass ("First pass size"); Size becomes that and the size it
 * names becomes the hires target. A first pass of 0×0 meant "about 512² pixels" (`old_hires_fix_first_pass_dimensions`);
 * Serena skips that case for a 0-pixel Size, where A1111 divides by zero.
 */
function restoreOldHiresFixParams(res: Map<string, unknown>): void {
  const firstWidth = res.get("First pass size-1");
  const firstHeight = res.get("First pass size-2");
  if (firstWidth === undefined || firstHeight === undefined) return;
  let [fw, fh] = [pyInt(firstWidth), pyInt(firstHeight)];
  const width = pyInt(res.get("Size-1") ?? 512);
  const height = pyInt(res.get("Size-2") ?? 512);
  if (fw === 0 || fh === 0) {
    if (width * height === 0) return;
    const scale = Math.sqrt((512 * 512) / (width * height));
    [fw, fh] = [Math.ceil((scale * width) / 64) * 64, Math.ceil((scale * height) / 64) * 64];
  }
  res.set("Size-1", fw);
  res.set("Size-2", fh);
  res.set("Hires resize-1", width);
  res.set("Hires resize-2", height);
}

/** A1111 `unquote`: a value in double quotes is JSON-decoded, and kept as written when that fails. */
function unquote(v: string): string {
  try {
    const parsed: unknown = JSON.parse(v);
    return typeof parsed === "string" ? parsed : v;
  } catch {
    return v;
  }
}

/**
 * Whether A1111 adds "Emphasis: Original": some piece of either prompt has a weight other than 1 and is not
 * "BREAK". Where A1111 itself fails (a weight `float()` rejects: its png-info answers 500), the default is left out.
 * A prompt too complex to weigh within the bound is taken to use emphasis.
 */
function usesEmphasis(prompt: string, negativePrompt: string): boolean | null {
  const options = { maxWeightUpdates: LIMITS.maxInfotextAttentionUpdates };
  try {
    const pieces = [...parsePromptAttention(prompt, options), ...parsePromptAttention(negativePrompt, options)];
    return pieces.some(([text, weight]) => weight !== 1 && text !== "BREAK");
  } catch (error) {
    if (error instanceof AttentionTooComplexError) return true;
    if (error instanceof InvalidAttentionWeightError) return null;
    throw error;
  }
}

export function parseGenerationParameters(text: string): Record<string, unknown> {
  // A Map keeps A1111's dict order and takes any key ("__proto__" included) as an ordinary entry.
  const res = new Map<string, unknown>();
  const lines = pythonStrip(text).split("\n");
  const lastLine = lines.pop() ?? "";
  let params = findParams(lastLine);
  // Fewer than 3 parameters: the last line is prompt text too.
  if (params.length < 3) {
    lines.push(lastLine);
    params = [];
  }

  let prompt = "";
  let negativePrompt = "";
  let doneWithPrompt = false;
  for (const raw of lines) {
    let line = pythonStrip(raw);
    if (line.startsWith("Negative prompt:")) {
      doneWithPrompt = true;
      line = pythonStrip(line.slice(16));
    }
    if (doneWithPrompt) negativePrompt += (negativePrompt === "" ? "" : "\n") + line;
    else prompt += (prompt === "" ? "" : "\n") + line;
  }

  for (const [key, rawValue] of params) {
    // A1111 reads v[0] first: an empty value raises IndexError there, and the entry is skipped.
    if (rawValue === "") continue;
    const value = rawValue.startsWith('"') && rawValue.endsWith('"') ? unquote(rawValue) : rawValue;
    const size = IMAGE_SIZE.exec(value);
    if (size) {
      res.set(`${key}-1`, size[1]);
      res.set(`${key}-2`, size[2]);
    } else {
      res.set(key, value);
    }
  }

  res.set("Prompt", prompt);
  res.set("Negative prompt", negativePrompt);
  if (!res.has("Clip skip")) res.set("Clip skip", "1");
  const hypernet = res.get("Hypernet");
  if (hypernet !== undefined) res.set("Prompt", `${prompt}<hypernet:${String(hypernet)}:${String(res.get("Hypernet strength") ?? "1.0")}>`);
  if (!res.has("Hires resize-1")) {
    res.set("Hires resize-1", 0);
    res.set("Hires resize-2", 0);
  }
  for (const [key, value] of DEFAULTS.slice(0, MASKED_AREA_PADDING + 1)) if (!res.has(key)) res.set(key, value);
  restoreOldHiresFixParams(res);
  for (const [key, value] of DEFAULTS.slice(MASKED_AREA_PADDING + 1)) if (!res.has(key)) res.set(key, value);
  if (res.get("FP8 weight") !== "Disable" && !res.has("Cache FP16 weight for LoRA")) res.set("Cache FP16 weight for LoRA", false);

  if (!res.has("Emphasis") && usesEmphasis(prompt, negativePrompt) === true) res.set("Emphasis", "Original");
  if (!res.has("Refiner switch by sampling steps")) res.set("Refiner switch by sampling steps", false);
  return Object.fromEntries(res);
}
