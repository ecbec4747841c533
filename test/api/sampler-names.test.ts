/**
 * Sampler and scheduler names as A1111 1.10 resolves them (`sd_samplers.get_sampler_and_scheduler`,
 * docs/a1111-semantics.md §3.2, §5.2), with Serena's documented differences: aliases and any case accepted, unknown names reported.
 */
import { describe, expect, it } from "vitest";
import { resolveSampler, samplerNames, scheduleTypeLabel, schedulerNames, type ResolvedSampler } from "../../lib/a1111/sampler-names.ts";
import { findSampler } from "../../lib/engine/samplers/registry.ts";
import { effectiveScheduler } from "../../lib/engine/schedules/index.ts";
import { AUTOMATIC, findScheduler } from "../../lib/engine/schedules/registry.ts";

function resolved(sampler: string, scheduler: string | null = null): ResolvedSampler {
  const result = resolveSampler(sampler, scheduler);
  if ("error" in result) throw new Error(`${sampler} / ${scheduler}: ${result.error}`);
  return result;
}

const summary = (r: ResolvedSampler) => ({
  sampler: r.sampler.name,
  scheduler: r.scheduler.label,
  runs: effectiveScheduler(r.sampler, r.scheduler).name,
  infotext: scheduleTypeLabel(r),
});

describe("finding samplers and schedulers", () => {
  it("finds samplers by label or alias, in any case", () => {
    expect(findSampler("Euler a")?.name).toBe("Euler a");
    expect(findSampler("k_euler_ancestral")?.name).toBe("Euler a");
    expect(findSampler("  dpm++ 2m  ")?.name).toBe("DPM++ 2M");
    expect(findSampler("Euler b")).toBeUndefined();
  });

  it("finds schedulers by name, label or alias; none or blank means Automatic", () => {
    expect(findScheduler("karras")?.label).toBe("Karras");
    expect(findScheduler("Align Your Steps")?.name).toBe("align_your_steps");
    expect(findScheduler("SGMUniform")?.name).toBe("sgm_uniform");
    for (const none of [null, undefined, "", "  "]) expect(findScheduler(none)).toBe(AUTOMATIC);
    expect(findScheduler("fancy")).toBeUndefined();
  });

  it("lists the names for error messages", () => {
    expect(samplerNames()).toContain("DPM++ 2M");
    expect(schedulerNames()[0]).toBe("Automatic");
  });
});

describe("resolveSampler", () => {
  it("Euler with Automatic runs the model's own schedule and records Automatic (§4.1 item 3)", () => {
    expect(summary(resolved("Euler"))).toEqual({ sampler: "Euler", scheduler: "Automatic", runs: "uniform", infotext: "Automatic" });
  });

  it("DPM++ 2M with Automatic runs Karras and records Karras", () => {
    expect(summary(resolved("DPM++ 2M"))).toEqual({ sampler: "DPM++ 2M", scheduler: "Automatic", runs: "karras", infotext: "Karras" });
  });

  it("'DPM++ 2M Karras' splits off the suffix and, it being the default, normalises it to Automatic (§5.2)", () => {
    expect(summary(resolved("DPM++ 2M Karras"))).toEqual({ sampler: "DPM++ 2M", scheduler: "Automatic", runs: "karras", infotext: "Karras" });
    expect(summary(resolved("DPM++ 2M SDE Exponential"))).toMatchObject({ sampler: "DPM++ 2M SDE", scheduler: "Automatic", runs: "exponential" });
  });

  it("a suffix that is not the default is kept: 'Euler a Karras'", () => {
    expect(summary(resolved("Euler a Karras"))).toEqual({ sampler: "Euler a", scheduler: "Karras", runs: "karras", infotext: "Karras" });
  });

  it("a suffix wins over the scheduler field, as in A1111", () => {
    expect(resolved("Euler Exponential", "karras").scheduler.name).toBe("exponential");
  });

  it("matches the longest scheduler suffix ('SGM Uniform', not 'Uniform')", () => {
    expect(summary(resolved("Euler SGM Uniform"))).toMatchObject({ sampler: "Euler", scheduler: "SGM Uniform" });
  });

  it("takes a full sampler name before trying suffixes", () => {
    expect(resolved("DPM++ 2M SDE Heun").sampler.name).toBe("DPM++ 2M SDE Heun");
  });

  it("the scheduler field names the schedule, by name or label", () => {
    expect(summary(resolved("Euler", "Karras"))).toMatchObject({ scheduler: "Karras", infotext: "Karras" });
    expect(resolved("DPM++ 2M", "karras").scheduler).toBe(AUTOMATIC);
  });

  it("reports which name is unknown", () => {
    expect(resolveSampler("Euler b", null)).toEqual({ error: "sampler" });
    expect(resolveSampler("Euler", "fancy")).toEqual({ error: "scheduler" });
    expect(resolveSampler("Euler b Karras", null)).toEqual({ error: "sampler" });
  });
});
