/**
 * Sampler and scheduler names as A1111 1.10 accepts them in requests (`sd_samplers.get_sampler_and_scheduler`):
 * a label ("DPM++ 2M"), or a label with a scheduler suffix ("DPM++ 2M Karras"); schedulers by name or label.
 * Serena also accepts the aliases A1111 lists (`k_euler_a`) and ignores case. Where A1111 silently falls back to
 * DPM++ 2M (unknown sampler) or Automatic (unknown scheduler), Serena answers 422 with the valid names instead.
 */
import { findSampler, SAMPLERS, type SamplerDefinition } from "../engine/samplers/registry.ts";
import { effectiveScheduler } from "../engine/schedules/index.ts";
import { AUTOMATIC, findScheduler, SCHEDULERS, schedulerNameKeys, type SchedulerDefinition } from "../engine/schedules/registry.ts";

// Longest suffix first, so "SGM Uniform" wins over "Uniform".
const schedulerSuffixes = schedulerNameKeys().sort((a, b) => b.length - a.length);

export interface ResolvedSampler {
  sampler: SamplerDefinition;
  /** As A1111 records it: "Automatic" when the request named the sampler's own default scheduler. */
  scheduler: SchedulerDefinition;
}

export type ResolveResult = ResolvedSampler | { error: "sampler" | "scheduler" };

/** Resolves `sampler_name or sampler_index` plus `scheduler` the way A1111 does, with Serena's strictness. */
export function resolveSampler(samplerName: string, schedulerName: string | null | undefined): ResolveResult {
  let scheduler = findScheduler(schedulerName);
  if (!scheduler) return { error: "scheduler" };
  let sampler = findSampler(samplerName);
  if (!sampler) {
    const lower = samplerName.trim().toLowerCase();
    for (const suffix of schedulerSuffixes) {
      if (!lower.endsWith(" " + suffix)) continue;
      const base = findSampler(lower.slice(0, -(suffix.length + 1)));
      if (base) {
        sampler = base;
        scheduler = findScheduler(suffix)!;
        break;
      }
    }
  }
  if (!sampler) return { error: "sampler" };
  if (sampler.defaultScheduler === scheduler.name) scheduler = AUTOMATIC;
  return { sampler, scheduler };
}

/** The "Schedule type" infotext value: the label, with Automatic replaced by the sampler's default (A1111). */
export function scheduleTypeLabel(resolved: ResolvedSampler): string {
  if (resolved.scheduler === AUTOMATIC && resolved.sampler.defaultScheduler) return effectiveScheduler(resolved.sampler, AUTOMATIC).label;
  return resolved.scheduler.label;
}

export const samplerNames = () => SAMPLERS.map((s) => s.name);
export const schedulerNames = () => SCHEDULERS.map((s) => s.label);
