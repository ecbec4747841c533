import { describe, expect, it } from "vitest";
import { SAMPLER_FUNCTIONS, EXACT_AT_ZERO, exactAt, gaussianNoise, toyDenoise, toySigmas } from "./toy.ts";

/**
 * The samplers without a reference vector, run deterministically (eta 0, no noise) on the toy problem of
 * docs/engine-reference.md §2.8. Second-order and higher methods land within 1.5e-2 of the exact 0.49970764 at 20 Karras steps
 * (first-order Euler misses by 4e-2) and within 2e-3 at 50 (Euler: 1.8e-2); the last step, a plain denoise from
 * σmin, leaves ~1e-3 whatever the step count.
 */
const ODE_SAMPLERS = ["DPM2", "DPM2 a", "DPM++ 2S a", "DPM++ SDE", "DPM++ 2M SDE", "DPM++ 2M SDE Heun", "DPM++ 3M SDE"];

async function solve(name: string, sigmas: ArrayLike<number>): Promise<number> {
  const noise = () => {
    throw new Error("eta 0 must not draw noise");
  };
  const out = await SAMPLER_FUNCTIONS[name]({ denoise: toyDenoise, x: Float32Array.of(sigmas[0]), sigmas, noise, eta: 0 });
  return out[0];
}

describe("convergence to the exact ODE solution 0.49970764", () => {
  for (const name of ODE_SAMPLERS) {
    it(name, async () => {
      expect(Math.abs((await solve(name, toySigmas("karras", 20))) - EXACT_AT_ZERO)).toBeLessThan(1.5e-2);
      expect(Math.abs((await solve(name, toySigmas("karras", 50))) - EXACT_AT_ZERO)).toBeLessThan(2e-3);
    });
  }

  it("UniPC (order 3) on Karras sigmas ending at σmin, against the exact solution there", async () => {
    for (const n of [20, 50]) {
      const sigmas = toySigmas("karras", n).subarray(0, n);
      expect(Math.abs((await solve("UniPC", sigmas)) - exactAt(sigmas[0], sigmas[n - 1]))).toBeLessThan(1e-3);
    }
  });

  it("first-order Euler misses by more than those bounds (so they discriminate)", async () => {
    expect(Math.abs((await solve("Euler", toySigmas("karras", 20))) - EXACT_AT_ZERO)).toBeGreaterThan(1.5e-2);
    expect(Math.abs((await solve("Euler", toySigmas("karras", 50))) - EXACT_AT_ZERO)).toBeGreaterThan(2e-3);
  });
});

describe("with noise", () => {
  for (const name of Object.keys(SAMPLER_FUNCTIONS)) {
    it(`${name} stays finite and near the data scale`, async () => {
      const sigmas = name === "UniPC" ? toySigmas("karras", 20).subarray(0, 20) : toySigmas("karras", 20);
      const length = 256;
      const out = await SAMPLER_FUNCTIONS[name]({
        denoise: toyDenoise,
        x: gaussianNoise(length, 7)().map((v) => v * sigmas[0]),
        sigmas,
        noise: gaussianNoise(length, 11),
        eta: 1,
        sChurn: 1,
      });
      let sumSquares = 0;
      for (const v of out) {
        expect(Number.isFinite(v)).toBe(true);
        sumSquares += v * v;
      }
      // Samples of N(0, 0.5²) (LCM: its last denoise shrinks them) have a root mean square well below 1.
      expect(Math.sqrt(sumSquares / length)).toBeLessThan(1);
      expect(Math.sqrt(sumSquares / length)).toBeGreaterThan(0.05);
    });
  }
});
