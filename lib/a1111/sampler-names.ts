/**
 * Sampler and scheduler names as A1111 1.10 accepts them (`sd_samplers.get_sampler_and_scheduler`):
 * a label ("DPM++ 2M"), or a label with a scheduler suffix ("DPM++ 2M Karras"); schedulers by name or label.
 * Serena also accepts the aliases A1111 lists (`k_euler_a`) and ignores case. Where A1111 silently falls back to
 * DPM++ 2M (unknown sampler) or Automatic (unknown scheduler), Serena answers 422 with the valid names instead.
 */
import { SAMPLERS, type SamplerEntry } from "../engine/samplers/registry.ts";
import { SCHEDULERS, type SchedulerEntry } from "../engine/schedules/registry.ts";

export const AUTOMATIC: SchedulerEntry = SCHEDULERS[0]!;

const key = (s: string) => s.trim().toLowerCase();

const samplerIndex = new Map<string, SamplerEntry>();
for (const s of SAMPLERS) for (const n of [s.name, ...s.aliases]) samplerIndex.set(key(n), s);

const schedulerIndex = new Map<string, SchedulerEntry>();
for (const s of SCHEDULERS) for (const n of [s.name, s.label, ...(s.aliases ?? [])]) schedulerIndex.set(key(n), s);

// Longest suffix first, so "SGM Uniform" wins over "Uniform".
const schedulerSuffixes = [...schedulerIndex.keys()].sort((a, b) => b.length - a.length);

export function findScheduler(name: string | null | undefined): SchedulerEntry | undefined {
  if (name === null || name === undefined || name.trim() === "") return AUTOMATIC;
  return schedulerIndex.get(key(name));
}

export function findSampler(name: string): SamplerEntry | undefined {
  return samplerIndex.get(key(name));
}

export interface ResolvedSampler {
  sampler: SamplerEntry;
  /** As A1111 records it: "Automatic" when the request named the sampler's own default scheduler. */
  scheduler: SchedulerEntry;
}

export type ResolveResult = ResolvedSampler | { error: "sampler" | "scheduler" };

/** Resolves `sampler_name or sampler_index` plus `scheduler` the way A1111 does, with Serena's strictness. */
export function resolveSampler(samplerName: string, schedulerName: string | null | undefined): ResolveResult {
  let scheduler = findScheduler(schedulerName);
  if (!scheduler) return { error: "scheduler" };
  let sampler = findSampler(samplerName);
  if (!sampler) {
    const lower = key(samplerName);
    for (const suffix of schedulerSuffixes) {
      if (!lower.endsWith(" " + suffix)) continue;
      const base = findSampler(lower.slice(0, -(suffix.length + 1)));
      if (base) {
        sampler = base;
        scheduler = schedulerIndex.get(suffix)!;
        break;
      }
    }
  }
  if (!sampler) return { error: "sampler" };
  if (sampler.defaultScheduler === scheduler.name) scheduler = AUTOMATIC;
  return { sampler, scheduler };
}

/** The schedule that actually runs: Automatic means the sampler's default, else the model's own ("uniform"). */
export function effectiveScheduler(resolved: ResolvedSampler): SchedulerEntry {
  if (resolved.scheduler.name !== AUTOMATIC.name) return resolved.scheduler;
  return findScheduler(resolved.sampler.defaultScheduler ?? "uniform")!;
}

/** The "Schedule type" infotext value: the label, with Automatic replaced by the sampler's default (A1111). */
export function scheduleTypeLabel(resolved: ResolvedSampler): string {
  if (resolved.scheduler.name === AUTOMATIC.name && resolved.sampler.defaultScheduler) {
    return findScheduler(resolved.sampler.defaultScheduler)!.label;
  }
  return resolved.scheduler.label;
}

export const samplerNames = () => SAMPLERS.map((s) => s.name);
export const schedulerNames = () => SCHEDULERS.map((s) => s.label);
