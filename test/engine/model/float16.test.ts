import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession } from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { float16Tensor, float16ToFloat32 } from "../../../lib/engine/model/index.ts";
import { OnnxGraphBuilder } from "../../../lib/engine/tiny-model/onnx-graph-builder.ts";

// IEEE 754 binary16 encodings (1 sign, 5 exponent, 10 fraction bits; bias 15).
const ENCODINGS: readonly [number, number][] = [
  [1, 0x3c00],
  [-2, 0xc000],
  [0.5, 0x3800],
  [65504, 0x7bff], // largest finite half
  [2 ** -14, 0x0400], // smallest normal
  [2 ** -24, 0x0001], // smallest subnormal
  [0, 0x0000],
  [Infinity, 0x7c00],
];

function bitsOf(values: readonly number[]): Uint16Array {
  const tensor = float16Tensor(Float32Array.from(values), [values.length]);
  return new Uint16Array((tensor.data as Uint16Array).buffer);
}

describe("float32 → float16 tensors", () => {
  it("encode IEEE 754 binary16 bit patterns", () => {
    expect([...bitsOf(ENCODINGS.map(([value]) => value))]).toEqual(ENCODINGS.map(([, bits]) => bits));
  });

  it("round to nearest, ties to even", () => {
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even fraction (1.0);
    // 1 + 3·2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: ties go to 1 + 2^-9 (fraction 2).
    expect([...bitsOf([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520])]).toEqual([0x3c00, 0x3c02, 0x7c00]);
  });

  it("carry their dims and type", () => {
    const tensor = float16Tensor(new Float32Array(6), [1, 2, 3]);
    expect(tensor.type).toBe("float16");
    expect(tensor.dims).toEqual([1, 2, 3]);
  });
});

describe("float16 → float32", () => {
  it("decodes raw bits in a Uint16Array", () => {
    const bits = Uint16Array.from(ENCODINGS.map(([, b]) => b));
    expect([...float16ToFloat32(bits)]).toEqual(ENCODINGS.map(([value]) => value));
  });

  it("decodes a Float16Array", () => {
    expect([...float16ToFloat32(Float16Array.from([1.5, -0.25]))]).toEqual([1.5, -0.25]);
  });

  it("round-trips every value that float16 can represent", () => {
    const values = Float32Array.from({ length: 2000 }, (_, i) => Math.f16round((i - 1000) * 0.37));
    const tensor = float16Tensor(values, [values.length]);
    expect(float16ToFloat32(tensor.data as Uint16Array)).toEqual(values);
  });
});

describe("float16 tensors go through onnxruntime-node on this Node version (microsoft/onnxruntime#26791)", () => {
  it("an fp16 identity model returns its input", async () => {
    const graph = new OnnxGraphBuilder("identity");
    graph.input("x", "float16", ["n"]);
    graph.op("Identity", ["x"], {}, "y");
    graph.output("y", "float16", ["n"]);
    const path = join(await mkdtemp(join(tmpdir(), "fp16-")), "identity.onnx");
    await writeFile(path, graph.encode().model);
    const session = await InferenceSession.create(path);
    const values = Float32Array.from([0.1, -3.5, 1000, 2 ** -20]);
    const result = await session.run({ x: float16Tensor(values, [4]) });
    expect(result.y.type).toBe("float16");
    expect(float16ToFloat32(result.y.data as Float16Array | Uint16Array)).toEqual(values.map(Math.f16round));
    await session.release();
  });
});
