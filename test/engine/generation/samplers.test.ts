/** Every sampler and scheduler `/sdapi/v1/samplers` and `/schedulers` list really runs on a model. */
import { describe, expect, it } from "vitest";
import { SAMPLERS } from "../../../lib/engine/samplers/registry.ts";
import { SCHEDULERS } from "../../../lib/engine/schedules/registry.ts";
import { pixelSpread, tinyA1111, txt2imgJob } from "../../fixtures/engine.ts";

const base = { prompt: "a lighthouse", seed: 7, steps: 5, width: 64, height: 64 };

describe("samplers", () => {
  it.each(SAMPLERS.map((s) => s.name))("%s generates a finite, non-uniform image", async (sampler) => {
    const engine = await tinyA1111();
    const out = await engine.generate(txt2imgJob({ ...base, sampler_name: sampler }));
    expect(out.info.sampler_name).toBe(sampler);
    expect(out.info.infotexts[0]).toContain(`Sampler: ${sampler},`);
    expect(await pixelSpread(out.images[0]!)).toBeGreaterThan(1);
  });
});

describe("schedulers", () => {
  it.each(SCHEDULERS.map((s) => s.label))("%s runs with Euler", async (scheduler) => {
    const engine = await tinyA1111();
    const out = await engine.generate(txt2imgJob({ ...base, sampler_name: "Euler", scheduler }));
    expect(out.info.infotexts[0]).toContain(`Schedule type: ${scheduler},`);
  });
});

describe("progress", () => {
  it("reports every step, and second-order samplers' steps once each", async () => {
    const engine = await tinyA1111();
    for (const sampler of ["Euler", "Heun", "DPM2"]) {
      const seen: number[] = [];
      await engine.generate(txt2imgJob({ ...base, sampler_name: sampler, steps: 6 }), {
        onProgress: (u) => seen.push(u.samplingStep / u.samplingSteps),
      });
      expect(seen.length).toBeGreaterThanOrEqual(5);
      expect(seen.at(-1)).toBe(1);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    }
  });
});

describe("interrupt and skip", () => {
  it("interrupt stops sampling, returns the image made so far and skips later batches", async () => {
    const engine = await tinyA1111();
    let steps = 0;
    const out = await engine.generate(txt2imgJob({ ...base, steps: 20, n_iter: 3 }), {
      onProgress: () => steps++,
      control: () => (steps >= 3 ? "interrupt" : null),
    });
    expect(steps).toBe(3);
    expect(out.images).toHaveLength(1);
    expect(out.info.all_seeds).toEqual([7]);
  });

  it("skip ends only the current batch", async () => {
    const engine = await tinyA1111();
    let steps = 0;
    let skipped = false;
    const out = await engine.generate(txt2imgJob({ ...base, steps: 10, n_iter: 2 }), {
      onProgress: () => steps++,
      control: () => {
        if (steps === 2 && !skipped) {
          skipped = true;
          return "skip";
        }
        return null;
      },
    });
    expect(out.images).toHaveLength(2);
    expect(steps).toBe(12);
  });
});
