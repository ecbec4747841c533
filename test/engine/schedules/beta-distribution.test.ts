import { describe, expect, it } from "vitest";
import { betaCdf, betaQuantile, logGamma } from "../../../lib/engine/schedules/beta-distribution.ts";

describe("logGamma", () => {
  it("matches Γ at integers and at ½", () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });
});

describe("the Beta distribution's CDF and quantile (scipy stats.beta.cdf / ppf)", () => {
  it("is the identity for Beta(1, 1)", () => {
    for (const x of [0.1, 0.37, 0.9]) expect(betaCdf(x, 1, 1)).toBeCloseTo(x, 13);
  });

  it("is 1 − (1 − x)^b for Beta(1, b)", () => {
    for (const x of [0.05, 0.5, 0.8]) expect(betaCdf(x, 1, 3.5)).toBeCloseTo(1 - (1 - x) ** 3.5, 13);
  });

  it("is the arcsine law (2/π)·asin(√x) for Beta(½, ½), which like A1111's Beta(0.6, 0.6) has unbounded density", () => {
    for (const x of [1e-6, 0.02, 0.3, 0.75, 0.999]) {
      expect(betaCdf(x, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(x)), 12);
      expect(betaQuantile((2 / Math.PI) * Math.asin(Math.sqrt(x)), 0.5, 0.5)).toBeCloseTo(x, 12);
    }
  });

  it("inverts the CDF for Beta(0.6, 0.6) and ends at 0 and 1", () => {
    for (const p of [0.01, 0.25, 0.5, 0.9]) expect(betaCdf(betaQuantile(p, 0.6, 0.6), 0.6, 0.6)).toBeCloseTo(p, 12);
    expect(betaQuantile(0, 0.6, 0.6)).toBe(0);
    expect(betaQuantile(1, 0.6, 0.6)).toBe(1);
  });
});
