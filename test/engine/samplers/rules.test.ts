import { describe, expect, it } from "vitest";
import { sampleLcm } from "../../../lib/engine/samplers/lcm.ts";
import { lmsCoefficient } from "../../../lib/engine/samplers/lms.ts";
import { getAncestralStep } from "../../../lib/engine/samplers/ancestral.ts";
import { toySigmas } from "./toy.ts";

describe("LMS coefficients (k-diffusion linear_multistep_coeff)", () => {
  const sigmas = toySigmas("karras", 20);

  it("are the step length at order 1 (Euler)", () => {
    expect(lmsCoefficient(1, sigmas, 0, 0)).toBeCloseTo(sigmas[1] - sigmas[0], 12);
  });

  it("sum to the step length at every order, as Lagrange bases sum to 1", () => {
    for (const order of [2, 3, 4]) {
      let sum = 0;
      for (let j = 0; j < order; j++) sum += lmsCoefficient(order, sigmas, 10, j);
      expect(sum).toBeCloseTo(sigmas[11] - sigmas[10], 12);
    }
  });

  it("integrate the order-2 basis exactly: ∫ (τ − σ_{i−1})/(σ_i − σ_{i−1}) dτ", () => {
    const [a, b, prev] = [sigmas[5], sigmas[6], sigmas[4]];
    const exact = ((b - prev) ** 2 - (a - prev) ** 2) / (2 * (a - prev));
    expect(lmsCoefficient(2, sigmas, 5, 0)).toBeCloseTo(exact, 12);
  });
});

describe("the ancestral step (k-diffusion get_ancestral_step)", () => {
  it("splits σ_next² into σ_down² + σ_up², σ_up = eta·√(σ_next²(σ² − σ_next²)/σ²)", () => {
    const { sigmaDown, sigmaUp } = getAncestralStep(2, 1, 1);
    expect(sigmaUp).toBeCloseTo(Math.sqrt(3 / 4), 12);
    expect(sigmaDown ** 2 + sigmaUp ** 2).toBeCloseTo(1, 12);
  });

  it("adds no noise at eta 0 and never more than σ_next", () => {
    expect(getAncestralStep(2, 1, 0)).toEqual({ sigmaDown: 1, sigmaUp: 0 });
    expect(getAncestralStep(2, 1, 10).sigmaUp).toBe(1);
  });
});

describe("LCM (A1111 sample_lcm): x ← D(x, σ_i) + σ_{i+1}·ε", () => {
  it("re-noises each denoised estimate to the next σ and ends on the last estimate", async () => {
    const sigmas = [10, 4, 1, 0];
    const inputs: number[] = [];
    const out = await sampleLcm({
      denoise: async (x) => {
        inputs.push(x[0]);
        return Float32Array.of(0.3);
      },
      x: Float32Array.of(10),
      sigmas,
      noise: () => Float32Array.of(2),
    });
    expect(inputs[1]).toBeCloseTo(0.3 + 4 * 2, 6);
    expect(inputs[2]).toBeCloseTo(0.3 + 1 * 2, 6);
    expect(out[0]).toBeCloseTo(0.3, 6);
  });
});
