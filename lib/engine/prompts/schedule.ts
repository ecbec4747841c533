import { isPromptSequence, parsePromptSchedule } from "./schedule-grammar.ts";
import type { PromptSequence, ScheduledNode } from "./schedule-grammar.ts";

/** `[end_at_step, text]`: the text conditions every step up to and including end_at_step. */
export type PromptScheduleEntry = readonly [endAtStep: number, text: string];
export type PromptSchedule = readonly PromptScheduleEntry[];

/** How a `when` number becomes a step (A1111 `get_learned_conditioning_prompt_schedules`, v1.10.1). */
interface StepResolution {
  readonly steps: number;
  readonly intOffset: number;
  readonly floatOffset: number;
  readonly useOldScheduling: boolean;
}

/**
 * The step a `when` switches at, capped at `steps`. New timelines: a number with a "." is a fraction of the steps
 * (on the hires pass counted from 1.0), any other number an absolute step (on the hires pass counted after the base
 * steps). Old scheduling: below 1 is a fraction, otherwise a step count.
 */
function resolveWhen(when: string, resolution: StepResolution): number {
  return Math.min(resolution.steps, Math.trunc(requestedStep(when, resolution)));
}

/** The step before capping. A `when` like `1e400` makes it ±Infinity, where A1111's `int()` raises OverflowError. */
function requestedStep(when: string, resolution: StepResolution): number {
  const value = Number(when);
  if (resolution.useOldScheduling) return value < 1 ? value * resolution.steps : value;
  if (when.includes(".")) return (value - resolution.floatOffset) * resolution.steps;
  return value - resolution.intOffset;
}

/** Every scheduled node, nested ones included (A1111's `CollectSteps` visitor visits them all). */
function* scheduledNodes(nodes: PromptSequence): Generator<ScheduledNode> {
  for (const node of nodes) {
    if (typeof node === "string") continue;
    if (isPromptSequence(node)) yield* scheduledNodes(node);
    else if (node.kind === "scheduled") {
      yield node;
      yield* scheduledNodes(node.before);
      yield* scheduledNodes(node.after);
    } else for (const option of node.options) yield* scheduledNodes(option);
  }
}

/** Every scheduled `when` of 1 or more is a switch point, and any alternation switches at every step. */
function collectSwitchSteps(nodes: PromptSequence, resolution: StepResolution, into: Set<number>): void {
  for (const node of nodes) {
    if (typeof node === "string") continue;
    if (isPromptSequence(node)) collectSwitchSteps(node, resolution, into);
    else if (node.kind === "scheduled") {
      const step = resolveWhen(node.when, resolution);
      if (step >= 1) into.add(step);
      collectSwitchSteps(node.before, resolution, into);
      collectSwitchSteps(node.after, resolution, into);
    } else {
      for (let step = 1; step <= resolution.steps; step++) into.add(step);
      for (const option of node.options) collectSwitchSteps(option, resolution, into);
    }
  }
}

function renderScheduled(node: ScheduledNode, step: number, resolution: StepResolution): PromptSequence {
  return step <= resolveWhen(node.when, resolution) ? node.before : node.after;
}

/** The prompt text in force at `step`; alternation picks option (step − 1) mod count. */
function renderAtStep(nodes: PromptSequence, step: number, resolution: StepResolution): string {
  let text = "";
  for (const node of nodes) {
    if (typeof node === "string") text += node;
    else if (isPromptSequence(node)) text += renderAtStep(node, step, resolution);
    else if (node.kind === "scheduled") text += renderAtStep(renderScheduled(node, step, resolution), step, resolution);
    else text += renderAtStep(node.options[(step - 1) % node.options.length], step, resolution);
  }
  return text;
}

function promptSchedule(prompt: string, resolution: StepResolution): PromptSchedule {
  const nodes = parsePromptSchedule(prompt);
  if (nodes === null) return [[resolution.steps, prompt]];
  const switchSteps = new Set([resolution.steps]);
  collectSwitchSteps(nodes, resolution, switchSteps);
  return [...switchSteps]
    .sort((a, b) => a - b)
    .map((step): PromptScheduleEntry => [step, renderAtStep(nodes, step, resolution)]);
}

function stepResolution(steps: number, hiresSteps: number | undefined, useOldScheduling: boolean): StepResolution {
  return hiresSteps === undefined || useOldScheduling
    ? { steps, intOffset: 0, floatOffset: 0, useOldScheduling }
    : { steps: hiresSteps, intOffset: steps, floatOffset: 1, useOldScheduling };
}

/**
 * Resolves prompt editing (`[from:to:when]`, `[to:when]`) and alternation (`[a|b]`) into one schedule per prompt
 * (A1111 modules/prompt_parser.py `get_learned_conditioning_prompt_schedules`, v1.10.1). `steps` counts sampler
 * model calls; with `hiresSteps` the schedule is for the hires pass. A prompt the grammar rejects is used unchanged.
 */
export function getLearnedConditioningPromptSchedules(
  prompts: readonly string[],
  steps: number,
  hiresSteps?: number,
  useOldScheduling = false,
): PromptSchedule[] {
  const resolution = stepResolution(steps, hiresSteps, useOldScheduling);
  const schedules = new Map<string, PromptSchedule>();
  return prompts.map((prompt) => {
    let schedule = schedules.get(prompt);
    if (schedule === undefined) {
      schedule = promptSchedule(prompt, resolution);
      schedules.set(prompt, schedule);
    }
    return schedule;
  });
}

/** The entry in force at a 0-based model call: the first whose end step is not before it (A1111 `reconstruct_cond_batch`). */
export function scheduleEntryAt(schedule: PromptSchedule, currentStep: number): PromptScheduleEntry {
  return schedule.find(([endAtStep]) => currentStep <= endAtStep) ?? schedule[0];
}

/**
 * The first `when` of `prompt` whose step A1111 cannot compute with these step counts (`int(inf)` raises
 * OverflowError in `collect_steps`, failing the request), or null. Here such a step is capped like any other.
 */
export function scheduleOverflow(prompt: string, steps: number, hiresSteps?: number, useOldScheduling = false): string | null {
  const nodes = parsePromptSchedule(prompt);
  if (nodes === null) return null;
  const resolution = stepResolution(steps, hiresSteps, useOldScheduling);
  for (const node of scheduledNodes(nodes)) if (!Number.isFinite(requestedStep(node.when, resolution))) return node.when;
  return null;
}
