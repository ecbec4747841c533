import { describe, expect, it } from "vitest";
import { Mt19937 } from "../../../lib/engine/rng/mt19937.ts";
import { TorchCpuGenerator } from "../../../lib/engine/rng/torch-cpu.ts";

/** The uniforms torch draws for float32: (r & 0xFFFFFF) · 2^-24 per MT19937 output (docs/a1111-semantics.md §6.4, step 1). */
function uniforms(seed: number, count: number): number[] {
  const engine = new Mt19937(seed);
  return Array.from({ length: count }, () => (engine.nextUint32() & 0xffffff) / 2 ** 24);
}

/** docs/a1111-semantics.md §6.4 step 2: the 16-element block at `at` pairs j with j + 8 in Box–Muller, on uniforms `from`… */
function expectBoxMullerBlock(noise: Float32Array, at: number, u: number[], from: number): void {
  for (let j = 0; j < 8; j++) {
    const radius = Math.sqrt(-2 * Math.log(1 - u[from + j]));
    const theta = 2 * Math.PI * u[from + j + 8];
    expect(noise[at + j]).toBeCloseTo(radius * Math.cos(theta), 5);
    expect(noise[at + j + 8]).toBeCloseTo(radius * Math.sin(theta), 5);
  }
}

describe("TorchCpuGenerator matches published torch.manual_seed(0); torch.randn(...) output", () => {
  it("randn(1, 1, 4, 4): one full block (kornia, kornia/augmentation/_2d/geometric/center_crop.py doctest)", () => {
    const expected = [
      -1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.692, -0.316, -2.1152, 0.3223, -1.2633, 0.35, 0.3081, 0.1198,
      1.2377, 1.1168, -0.2473,
    ];
    const noise = new TorchCpuGenerator(0).randn(16);
    expected.forEach((value, i) => expect(noise[i]).toBeCloseTo(value, 4));
  });

  // tracel-ai/burn crates/burn-import/onnx-tests/tests/resize: resize_scale.py draws it, mod.rs lists it.
  it("randn(1, 1, 6, 6): two blocks and a redrawn tail", () => {
    const expected = [
      -1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.692, -0.316, -2.1152, 0.3223, -1.2633, 0.35, 0.3081, 0.1198,
      1.2377, 1.1168, -0.2473, -1.3527, -1.6959, 0.5667, 0.7935, 0.4397, 0.1124, 0.6408, 0.4412, -0.2159, -0.7425,
      0.5627, 0.2596, 0.5229, 2.3022, -1.4689, -1.5867, 1.2032, 0.0845, -1.2001, -0.0048,
    ];
    const noise = new TorchCpuGenerator(0).randn(36);
    expected.forEach((value, i) => expect(noise[i]).toBeCloseTo(value, 4));
  });
});

describe("TorchCpuGenerator randn structure (docs/a1111-semantics.md §6.4, PyTorch normal_fill)", () => {
  it("pairs data[j] with data[j + 8] inside every block of 16", () => {
    const noise = new TorchCpuGenerator(1234).randn(48);
    const u = uniforms(1234, 48);
    for (const block of [0, 16, 32]) expectBoxMullerBlock(noise, block, u, block);
  });

  it("redraws 16 uniforms for the last 16 positions when the size is not a multiple of 16", () => {
    const noise = new TorchCpuGenerator(1234).randn(20);
    const u = uniforms(1234, 36);
    // Positions 0..3 keep the first block's values; 4..19 come from the 16 draws after the first 20.
    for (let j = 0; j < 4; j++) {
      expect(noise[j]).toBeCloseTo(Math.sqrt(-2 * Math.log(1 - u[j])) * Math.cos(2 * Math.PI * u[j + 8]), 5);
    }
    expectBoxMullerBlock(noise, 4, u, 20);
  });

  it("continues one MT19937 stream across calls", () => {
    const generator = new TorchCpuGenerator(42);
    const halves = [generator.randn(16), generator.randn(16)];
    const whole = new TorchCpuGenerator(42).randn(32);
    expect([...halves[0], ...halves[1]]).toEqual(Array.from(whole));
  });

  it("seeds MT19937 with the low 32 bits of the seed", () => {
    const draw = (seed: number) => Array.from(new TorchCpuGenerator(seed).randn(16));
    expect(draw(2 ** 32 + 7)).toEqual(draw(7));
    expect(draw(-1)).toEqual(draw(0xffffffff));
  });

  it("refuses 1 to 15 elements, which PyTorch draws by another path, and gives nothing for 0", () => {
    expect(() => new TorchCpuGenerator(0).randn(15)).toThrow(RangeError);
    expect(new TorchCpuGenerator(0).randn(0)).toHaveLength(0);
  });
});
