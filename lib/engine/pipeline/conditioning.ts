/**
 * Per-image conditioning schedules (A1111 modules/prompt_parser.py): the positive prompt split on AND into
 * weighted parts (composable diffusion), prompt editing and alternation resolved into step schedules for both
 * prompts, and every distinct text encoded once — positives in one batch, negatives in another, as A1111's
 * `get_multicond_learned_conditioning` and `get_learned_conditioning` calls do.
 */
import { splitComposablePrompt } from "../prompts/composable.ts";
import { getLearnedConditioningPromptSchedules, type PromptSchedule } from "../prompts/schedule.ts";
import { zeroTextEmbedding, type ConditioningTarget } from "./sdxl-conditioner.ts";
import type { TextConditioner, TextEmbedding } from "./text-conditioner.ts";

export interface WeightedEmbedding {
  readonly embedding: TextEmbedding;
  readonly weight: number;
}

interface ScheduledEntry<T> {
  readonly endAtStep: number;
  readonly value: T;
}

/** A value per step range: the first entry whose end step is not before the 0-based model call. */
export class StepSchedule<T> {
  readonly #entries: readonly ScheduledEntry<T>[];
  constructor(entries: readonly ScheduledEntry<T>[]) {
    this.#entries = entries;
  }
  at(call: number): T {
    return (this.#entries.find((e) => call <= e.endAtStep) ?? this.#entries[this.#entries.length - 1]!).value;
  }
}

export interface ImageConditioning {
  /** The AND parts in force at a model call, each a (schedule-resolved) embedding and its weight. */
  readonly cond: ReadonlyArray<StepSchedule<TextEmbedding>>;
  readonly condWeights: readonly number[];
  readonly uncond: StepSchedule<TextEmbedding>;
}

async function encodeSchedules(
  conditioner: TextConditioner,
  schedules: readonly PromptSchedule[],
  target: ConditioningTarget,
): Promise<StepSchedule<TextEmbedding>[]> {
  const texts = [...new Set(schedules.flatMap((s) => s.map(([, text]) => text)))];
  const embeddings = await conditioner.encode(texts, target);
  const byText = new Map(texts.map((t, i) => [t, embeddings[i]!]));
  return schedules.map((s) => {
    // SDXL (A1111 sd_models_xl.py `get_learned_conditioning`): a negative prompt whose schedule texts are all empty
    // is encoded as zeros (`force_zero_embeddings=['txt']`), e.g. "" but not "[:foo:5]".
    if (conditioner.isSdxl && target.negative && s.every(([, text]) => text === "")) {
      return new StepSchedule(s.map(([endAtStep, text]) => ({ endAtStep, value: zeroTextEmbedding(byText.get(text)!) })));
    }
    return new StepSchedule(s.map(([endAtStep, text]) => ({ endAtStep, value: byText.get(text)! })));
  });
}

/**
 * `steps` counts model calls (A1111 `total_steps`: doubled for second-order samplers), so edits like `[a:b:10]`
 * switch at the same point of the schedule whatever the sampler. On hires fix's second pass, `hiresSteps` are its
 * calls and `steps` the first pass's (a fraction like 1.5 then means half-way through the second pass). `size` is the
 * pass's size in pixels (A1111's `SdConditioning` width and height: the first pass's, or hires fix's upscaled size),
 * which SDXL's time ids carry.
 */
export async function buildConditioning(
  conditioner: TextConditioner,
  prompts: readonly string[],
  negativePrompts: readonly string[],
  steps: number,
  hiresSteps?: number,
  size: { readonly width: number; readonly height: number } = { width: 1024, height: 1024 },
): Promise<ImageConditioning[]> {
  const parts = prompts.map((p) => splitComposablePrompt(p));
  const flatTexts = parts.flatMap((ps) => ps.map((p) => p.text));
  const schedules = (texts: readonly string[]) => getLearnedConditioningPromptSchedules(texts, steps, hiresSteps);
  // A1111's `setup_conds` builds the uncond first, then the cond (the order its `TI hashes` entry lists them in).
  const uncondSchedules = await encodeSchedules(conditioner, schedules(negativePrompts), { ...size, negative: true });
  const condSchedules = await encodeSchedules(conditioner, schedules(flatTexts), { ...size, negative: false });
  let next = 0;
  return parts.map((ps, i) => {
    const cond = ps.map(() => condSchedules[next++]!);
    return { cond, condWeights: ps.map((p) => p.weight), uncond: uncondSchedules[i]! };
  });
}
