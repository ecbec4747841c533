import { describe, expect, it } from "vitest";
import { SCHEDULERS } from "../../../lib/engine/schedules/registry.ts";
import { sigmasAlignYourSteps } from "../../../lib/engine/schedules/align-your-steps.ts";
import { sigmasBeta } from "../../../lib/engine/schedules/beta.ts";
import { sigmasExponential, sigmasPolyexponential } from "../../../lib/engine/schedules/exponential.ts";
import { sigmasKarras } from "../../../lib/engine/schedules/karras.ts";
import { sigmasKlOptimal } from "../../../lib/engine/schedules/kl-optimal.ts";
import { sigmasDdim, sigmasSimple } from "../../../lib/engine/schedules/simple.ts";
import { sigmasNormal, sigmasSgmUniform, sigmasUniform } from "../../../lib/engine/schedules/uniform.ts";
import { expectClose, SD15 } from "./sd15.ts";

const { sigmaMin, sigmaMax } = SD15;
const timestepsOf = (sigmas: Float64Array) => Array.from(sigmas.subarray(0, -1), SD15.sigmaToT);

describe("Uniform, Karras and Exponential for SD 1.5, n = 10 (docs/a1111-semantics.md §5.3)", () => {
  it("Uniform (the model's get_sigmas)", () => {
    expectClose(sigmasUniform(10, SD15), [14.6146, 7.8399, 4.6092, 2.9183, 1.9502, 1.3449, 0.9324, 0.625, 0.3687, 0.0292, 0], 1e-4);
  });
  it("Karras, ρ = 7", () => {
    expectClose(sigmasKarras(10, sigmaMin, sigmaMax), [14.6146, 9.1029, 5.4784, 3.1686, 1.7494, 0.9141, 0.4469, 0.2014, 0.0819, 0.0292, 0], 1e-4);
  });
  it("Exponential", () => {
    expectClose(sigmasExponential(10, sigmaMin, sigmaMax), [14.6146, 7.3249, 3.6712, 1.84, 0.9222, 0.4622, 0.2317, 0.1161, 0.0582, 0.0292, 0], 1e-4);
  });
});

describe("Uniform, Karras and Exponential for SD 1.5, n = 20 (docs/engine-reference.md §2.2)", () => {
  it("Uniform, with t = 999, 946.421, …, 52.579, 0", () => {
    const sigmas = sigmasUniform(20, SD15);
    expectClose(sigmas, [
      14.6146, 10.7468, 8.0815, 6.2049, 4.8557, 3.8654, 3.1238, 2.5572, 2.1157, 1.7648, 1.4806, 1.2458, 1.0481,
      0.8784, 0.7297, 0.5964, 0.4736, 0.3555, 0.2322, 0.0292, 0,
    ], 1e-4);
    const t = timestepsOf(sigmas);
    expectClose([t[0], t[1], t[2], t[18], t[19]], [999, 946.421, 893.842, 52.579, 0], 1e-3);
  });
  it("Karras, with its timesteps", () => {
    const sigmas = sigmasKarras(20, sigmaMin, sigmaMax);
    expectClose(sigmas, [
      14.6146, 11.7254, 9.3402, 7.3836, 5.7894, 4.4998, 3.4648, 2.6408, 1.9909, 1.4832, 1.0908, 0.7909, 0.5647,
      0.3964, 0.273, 0.1842, 0.1213, 0.0779, 0.0485, 0.0292, 0,
    ], 1e-4);
    expectClose(timestepsOf(sigmas), [
      999, 961.733, 921.042, 876.314, 826.791, 771.552, 709.53, 639.615, 560.975, 473.749, 380.132, 285.318,
      197.081, 123.395, 69.257, 34.698, 15.482, 5.992, 1.783, 0,
    ], 1e-3);
  });
  it("Exponential", () => {
    expectClose(sigmasExponential(20, sigmaMin, sigmaMax), [
      14.6146, 10.5363, 7.5961, 5.4763, 3.9481, 2.8464, 2.0521, 1.4794, 1.0666, 0.7689, 0.5544, 0.3997, 0.2881,
      0.2077, 0.1498, 0.108, 0.0778, 0.0561, 0.0405, 0.0292, 0,
    ], 1e-4);
  });
});

describe("the other A1111 schedulers (modules/sd_schedulers.py, docs/a1111-semantics.md §5.2)", () => {
  it("Polyexponential with ρ = 1 is Exponential; a larger ρ leaves high σ sooner", () => {
    expectClose(sigmasPolyexponential(10, sigmaMin, sigmaMax), Array.from(sigmasExponential(10, sigmaMin, sigmaMax)), 1e-12);
    expect(sigmasPolyexponential(10, sigmaMin, sigmaMax, 2)[5]).toBeLessThan(sigmasExponential(10, sigmaMin, sigmaMax)[5]);
  });

  it("SGM Uniform: timesteps linspace(999, 0, n + 1) without the last, then 0", () => {
    const sigmas = sigmasSgmUniform(10, SD15, sigmaMin, sigmaMax);
    expect(sigmas).toHaveLength(11);
    expect(sigmas[10]).toBe(0);
    expectClose(timestepsOf(sigmas), Array.from({ length: 10 }, (_, k) => 999 - 99.9 * k), 1e-3);
  });

  it("Normal: timesteps linspace(t(σmax), t(σmin), n), which over the whole table is Uniform", () => {
    expectClose(sigmasNormal(10, SD15, sigmaMin, sigmaMax), Array.from(sigmasUniform(10, SD15)), 1e-12);
    const narrowed = sigmasNormal(4, SD15, SD15.sigmas[100], SD15.sigmas[700]);
    expectClose(timestepsOf(narrowed), [700, 500, 300, 100], 1e-3);
  });

  it("KL Optimal: uniform in arctan σ, n + 1 values ending at σmin (no 0)", () => {
    const sigmas = sigmasKlOptimal(10, sigmaMin, sigmaMax);
    expect(sigmas).toHaveLength(11);
    expect(sigmas[0]).toBeCloseTo(sigmaMax, 10);
    expect(sigmas[10]).toBeCloseTo(sigmaMin, 10);
    const step = Math.atan(sigmas[1]) - Math.atan(sigmas[0]);
    for (let i = 1; i < 10; i++) expect(Math.atan(sigmas[i + 1]) - Math.atan(sigmas[i])).toBeCloseTo(step, 12);
  });

  it("Align Your Steps: the SD 1.5 table as is for 11 steps, log-linear in between otherwise", () => {
    // The 11-point SD 1.5 table in A1111 modules/sd_schedulers.py `get_align_your_steps_sigmas`.
    const table = [14.615, 6.475, 3.861, 2.697, 1.886, 1.396, 0.963, 0.652, 0.399, 0.152, 0.029];
    expectClose(sigmasAlignYourSteps(11), [...table, 0], 0);
    const stretched = sigmasAlignYourSteps(21);
    expect(stretched).toHaveLength(22);
    for (let i = 0; i < 11; i++) expect(stretched[2 * i]).toBeCloseTo(table[i], 10);
    expect(stretched[1]).toBeCloseTo(Math.sqrt(table[0] * table[1]), 10);
  });

  it("Simple: table sigmas at 999 − int(x·1000/n) for x < n, then 0", () => {
    const sigmas = sigmasSimple(3, SD15);
    expectClose(sigmas, [SD15.sigmas[999], SD15.sigmas[666], SD15.sigmas[333], 0], 0);
  });

  it("DDIM: every (1000 // n)-th table sigma from index 1, highest first, then 0", () => {
    const sigmas = sigmasDdim(20, SD15);
    expectClose(sigmas, [...Array.from({ length: 20 }, (_, k) => SD15.sigmas[951 - 50 * k]), 0], 0);
    // 1000 // 30 = 33: indices 1, 34, …, 991 are 31 sigmas, so 31 steps, as in A1111.
    expect(sigmasDdim(30, SD15)).toHaveLength(32);
  });

  it("Beta (v1.10.1): Beta(0.6, 0.6) quantiles of 1 − linspace(0, 1, n) mapped onto [σmin, σmax]", () => {
    const sigmas = sigmasBeta(5, sigmaMin, sigmaMax);
    expect(sigmas).toHaveLength(6);
    expect(sigmas[0]).toBeCloseTo(sigmaMax, 10);
    expect(sigmas[4]).toBeCloseTo(sigmaMin, 10);
    expect(sigmas[5]).toBe(0);
    // A symmetric Beta has median ½ and mirror-image quantiles.
    expect(sigmas[2]).toBeCloseTo((sigmaMin + sigmaMax) / 2, 10);
    expect(sigmas[1] - sigmas[2]).toBeCloseTo(sigmas[2] - sigmas[3], 10);
    // α = β < 1 puts more of its mass near the ends, so the quartiles sit nearer the ends than a straight line.
    expect(sigmas[1]).toBeGreaterThan(sigmaMin + 0.75 * (sigmaMax - sigmaMin));
  });
});

describe("the scheduler registry", () => {
  it("has a function for every scheduler but Automatic", () => {
    expect(SCHEDULERS.filter((s) => s.sigmas === null).map((s) => s.name)).toEqual(["automatic"]);
  });

  it("gives n steps' worth of decreasing noise levels for every scheduler", () => {
    for (const { name, sigmas: schedule } of SCHEDULERS.filter((s) => s.sigmas !== null)) {
      const sigmas = schedule!(20, { model: SD15, sigmaMin, sigmaMax, betaAlpha: 0.6, betaBeta: 0.6 });
      expect(sigmas.length, name).toBe(21);
      for (let i = 0; i < 20; i++) expect(sigmas[i + 1], `${name}[${i + 1}]`).toBeLessThan(sigmas[i]);
    }
  });
});
