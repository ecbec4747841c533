/**
 * Per-image conditioning schedules (A1111 modules/prompt_parser.py): the positive prompt split on AND into
 * weighted parts (composable diffusion), prompt editing and alternation resolved into step schedules for both
 * prompts, and every distinct text encoded once — positives in one batch, negatives in another, as A1111's
 * `get_multicond_learned_conditioning` and `get_learned_conditioning` calls do.
 */
import { splitComposablePrompt } from "../prompts/composable.ts";
import { getLearnedConditioningPromptSchedules, type PromptSchedule } from "../prompts/schedule.ts";
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
): Promise<StepSchedule<TextEmbedding>[]> {
  const texts = [...new Set(schedules.flatMap((s) => s.map(([, text]) => text)))];
  const embeddings = await conditioner.encode(texts);
  const byText = new Map(texts.map((t, i) => [t, embeddings[i]!]));
  return schedules.map((s) => new StepSchedule(s.map(([endAtStep, text]) => ({ endAtStep, value: byText.get(text)! }))));
}

/**
 * `steps` counts model calls (A1111 `total_steps`: doubled for second-order samplers), so edits like `[a:b:10]`
 * switch at the same point of the schedule whatever the sampler. On hires fix's second pass, `hiresSteps` are its
 * calls and `steps` the first pass's (a fraction like 1.5 then means half-way through the second pass).
 */
export async function buildConditioning(
  conditioner: TextConditioner,
  prompts: readonly string[],
  negativePrompts: readonly string[],
  steps: number,
  hiresSteps?: number,
): Promise<ImageConditioning[]> {
  const parts = prompts.map((p) => splitComposablePrompt(p));
  const flatTexts = parts.flatMap((ps) => ps.map((p) => p.text));
  const schedules = (texts: readonly string[]) => getLearnedConditioningPromptSchedules(texts, steps, hiresSteps);
  // A1111's `setup_conds` builds the uncond first, then the cond (the order its `TI hashes` entry lists them in).
  const uncondSchedules = await encodeSchedules(conditioner, schedules(negativePrompts));
  const condSchedules = await encodeSchedules(conditioner, schedules(flatTexts));
  let next = 0;
  return parts.map((ps, i) => {
    const cond = ps.map(() => condSchedules[next++]!);
    return { cond, condWeights: ps.map((p) => p.weight), uncond: uncondSchedules[i]! };
  });
}
