import { describe, expect, it } from "vitest";
import { PhiloxGenerator, philox4x32 } from "../../../lib/engine/rng/philox.ts";

const hexWords = (text: string) => text.split(" ").map((word) => parseInt(word, 16));
const float32Bits = (values: Float32Array) =>
  Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
/** Reference values are printed float32s; Math.fround recovers the exact float32 they denote. */
const asFloat32 = (values: number[]) => values.map((value) => Math.fround(value));

describe("Philox4x32-10 block", () => {
  // Random123 known answers, "philox4x32 10" lines of DEShawResearch/random123 tests/kat_vectors
  // (also quoted in docs/a1111-semantics.md §6.4 for the zero vector).
  const KAT = [
    ["00000000 00000000 00000000 00000000", "00000000 00000000", "6627e8d5 e169c58d bc57ac4c 9b00dbd8"],
    ["ffffffff ffffffff ffffffff ffffffff", "ffffffff ffffffff", "408f276d 41c83b0e a20bc7c6 6d5451fd"],
    ["243f6a88 85a308d3 13198a2e 03707344", "a4093822 299f31d0", "d16cfe09 94fdcceb 5001e420 24126ea1"],
  ];
  for (const [counter, key, expected] of KAT) {
    it(`maps counter ${counter}, key ${key} to ${expected}`, () => {
      const [c0, c1, c2, c3] = hexWords(counter);
      const [k0, k1] = hexWords(key);
      const out = new Uint32Array(4);
      philox4x32(c0, c1, c2, c3, k0, k1, out);
      expect(Array.from(out)).toEqual(hexWords(expected));
    });
  }
});

describe("PhiloxGenerator matches A1111's rng_philox.py bit for bit", () => {
  // docs/a1111-semantics.md §6.4, "Test vectors from A1111's own rng_philox.py [verified]".
  it("seed 0, shape (3, 4)", () => {
    const noise = new PhiloxGenerator(0).randn(12);
    expect(Array.from(noise)).toEqual(
      asFloat32([
        -0.9246624, -0.42534396, -2.6438458, 0.14518388, -0.12086651, -0.5797257, -0.6228513, -0.32838714, -1.074542,
        -0.3631441, -1.6710504, 2.265505,
      ]),
    );
    expect(float32Bits(noise.subarray(0, 4))).toEqual(hexWords("bf6cb6ad bed9c6af c02934c5 3e14ab15"));
  });

  it("seed 0, second call (offset 1)", () => {
    const generator = new PhiloxGenerator(0);
    generator.randn(12);
    expect(Array.from(generator.randn(4))).toEqual(asFloat32([0.18082589, -0.55226272, 0.9238134, -0.73497033]));
  });

  it("seed 12345", () => {
    expect(Array.from(new PhiloxGenerator(12345).randn(4))).toEqual(
      asFloat32([0.5786413, -0.52475548, -0.29190373, 0.014013895]),
    );
  });

  it("seed 4294967301 = 2^32 + 5, which needs the high key word, as a number and as a bigint", () => {
    const expected = asFloat32([-2.8427475, 1.3404924, 0.27223086, 1.4550629]);
    expect(Array.from(new PhiloxGenerator(4294967301).randn(4))).toEqual(expected);
    expect(Array.from(new PhiloxGenerator(4294967301n).randn(4))).toEqual(expected);
    expect(Array.from(new PhiloxGenerator(5).randn(4))).not.toEqual(expected);
  });

  it("seed 1 agrees with the JS port of docs/engine-reference.md §2.7 to its printed precision", () => {
    const noise = new PhiloxGenerator(1).randn(4);
    [-0.296278, 2.676448, -0.140846, -0.844095].forEach((value, i) => expect(noise[i]).toBeCloseTo(value, 6));
  });

  it("agrees with CUDA torch.randn (rng_philox.py docstring, docs/engine-reference.md §2.7) to about 1e-7", () => {
    const cuda = [
      -0.92466259, -0.42534415, -2.6438457, 0.14518388, -0.12086647, -0.57972564, -0.62285122, -0.32838709,
      -1.07454231, -0.36314407, -1.67105067, 2.26550497,
    ];
    const noise = new PhiloxGenerator(0).randn(12);
    cuda.forEach((value, i) => expect(Math.abs(noise[i] - value)).toBeLessThan(5e-7));
  });
});

describe("PhiloxGenerator offsets", () => {
  it("advance by one per call, whatever the call's size", () => {
    const small = new PhiloxGenerator(0);
    small.randn(1);
    const large = new PhiloxGenerator(0);
    large.randn(16384);
    expect(small.offset).toBe(1);
    expect(large.offset).toBe(1);
    expect(Array.from(small.randn(4))).toEqual(Array.from(large.randn(4)));
    expect(large.offset).toBe(2);
  });

  it("give each call a different stream", () => {
    const generator = new PhiloxGenerator(7);
    const draws = [generator.randn(8), generator.randn(8), generator.randn(8)];
    expect(draws[0]).not.toEqual(draws[1]);
    expect(draws[1]).not.toEqual(draws[2]);
  });

  it("element i depends on the counter (offset, 0, i, 0) only, so a shorter call is a prefix of a longer one", () => {
    const long = new PhiloxGenerator(99).randn(64);
    expect(Array.from(new PhiloxGenerator(99).randn(10))).toEqual(Array.from(long.subarray(0, 10)));
  });
});

describe("PhiloxGenerator seeds", () => {
  it("take negative seeds modulo 2^64, as numpy's uint64 fill does", () => {
    const wrapped = new PhiloxGenerator(2n ** 64n - 1n).randn(4);
    expect(Array.from(new PhiloxGenerator(-1).randn(4))).toEqual(Array.from(wrapped));
  });
});
