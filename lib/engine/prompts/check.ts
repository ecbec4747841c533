/**
 * Prompts A1111 fails on while building the conditioning, found before anything runs: the texts the engine would
 * encode for a prompt (extra networks removed, split on AND, prompt editing resolved per step) are checked for a
 * `:weight)` Python's `float()` rejects (`parse_prompt_attention` raises ValueError) and for a prompt-editing step
 * that overflows (`collect_steps` raises OverflowError on `int(inf)`). A1111 answers those with a 500.
 */
import { invalidAttentionWeight } from "./attention.ts";
import { splitComposablePrompt } from "./composable.ts";
import { parseExtraNetworks } from "./extra-networks.ts";
import { getLearnedConditioningPromptSchedules, scheduleOverflow } from "./schedule.ts";

export interface PromptCheck {
  /** Positive prompts: extra-network tags are removed and the text is split on AND (A1111 does neither to negatives). */
  readonly positive: boolean;
  /** False under the "None" emphasis mode, which encodes the text without parsing attention. */
  readonly attention: boolean;
  /** Model calls of the pass (A1111 `total_steps`), as the engine counts them for prompt editing. */
  readonly steps: number;
  /** The hires pass's model calls, for its schedules; `steps` are then the first pass's. */
  readonly hiresSteps?: number;
}

/** Why A1111 would fail to condition on `prompt`, or null when it would not. */
export function promptConditioningError(prompt: string, check: PromptCheck): string | null {
  const parts = check.positive ? splitComposablePrompt(parseExtraNetworks(prompt).prompt).map((p) => p.text) : [prompt];
  for (const part of parts) {
    const when = scheduleOverflow(part, check.steps, check.hiresSteps);
    if (when !== null) return `prompt editing step ${when} is out of range: A1111 fails with OverflowError (int(inf))`;
    if (!check.attention) continue;
    const [schedule] = getLearnedConditioningPromptSchedules([part], check.steps, check.hiresSteps);
    for (const text of new Set(schedule!.map(([, t]) => t))) {
      const weight = invalidAttentionWeight(text);
      if (weight !== null) return `attention weight '${weight}' is not a number: A1111 fails with "could not convert string to float: '${weight}'"`;
    }
  }
  return null;
}
