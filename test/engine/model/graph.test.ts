/**
 * The graph toolkit (lib/engine/model/graph): models read without their weights, derived models written beside
 * links to the original weights, and the facts about onnxruntime-node 1.30 it relies on (docs/engine.md "Derived
 * models"; docs/engine-reference.md §1.4).
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveModel, sourceIdentity } from "../../../lib/engine/model/graph/derive.ts";
import { INLINE_LIMIT, readModelSkeleton } from "../../../lib/engine/model/graph/read-model.ts";
import { DataType } from "../../../lib/engine/model/graph/tensor-data.ts";
import { MODEL_PRESETS, writeModel } from "../../../lib/engine/model-builder/index.ts";
import { writeTinyModel } from "../../../lib/engine/tiny-model/index.ts";
import { readOnnx, readTensor } from "./graph-fixtures.ts";

let root: string;
let inline: string;
let external: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "graph-toolkit-"));
  // optimum < 1.23 keeps everything inside model.onnx; the model builder writes model.onnx_data.
  await writeTinyModel(join(root, "inline"), "sd1-optimum-1.22");
  inline = join(root, "inline", "text_encoder", "model.onnx");
  await writeModel(join(root, "external"), MODEL_PRESETS["sd15-tiny"], { withoutVaeEncoder: true });
  external = join(root, "external", "text_encoder", "model.onnx");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const ids = (type: "int32" | "int64") => {
  const row = [49406, 320, 1125, 539, 320, 2368, ...new Array<number>(71).fill(49407)];
  return type === "int32" ? new Tensor("int32", Int32Array.from(row), [1, 77]) : new Tensor("int64", BigInt64Array.from(row, BigInt), [1, 77]);
};

async function lastHiddenState(path: string): Promise<Float32Array> {
  const session = await InferenceSession.create(path);
  try {
    const type = session.inputMetadata[0]!.isTensor ? (session.inputMetadata[0] as { type: string }).type : "int64";
    const result = await session.run({ input_ids: ids(type === "int32" ? "int32" : "int64") }, ["last_hidden_state"]);
    return result.last_hidden_state!.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe("readModelSkeleton", () => {
  it("leaves inline tensors of 1 KiB or more on disk, at the byte offsets of their raw_data in model.onnx", async () => {
    const full = await readOnnx(inline);
    const file = await readFile(inline);
    const skeleton = await readModelSkeleton(inline);
    expect(skeleton.model.graph!.node).toHaveLength(full.graph!.node!.length);
    let large = 0;
    for (const tensor of full.graph!.initializer!) {
      const stored = skeleton.stored.get(tensor.name!);
      if (tensor.rawData!.length >= INLINE_LIMIT) {
        large++;
        expect(stored).toMatchObject({ file: inline, length: tensor.rawData!.length });
        expect(file.subarray(stored!.offset, stored!.offset + stored!.length).equals(Buffer.from(tensor.rawData!))).toBe(true);
      } else {
        expect(stored).toBeUndefined();
        const kept = skeleton.model.graph!.initializer!.find((t) => t.name === tensor.name)!;
        expect(Buffer.from(kept.rawData!).equals(Buffer.from(tensor.rawData!))).toBe(true);
      }
    }
    expect(large).toBeGreaterThanOrEqual(2);
  });

  it("keeps external tensors' locations, offsets and lengths, resolved against the model's folder", async () => {
    const full = await readOnnx(external);
    const skeleton = await readModelSkeleton(external);
    for (const tensor of full.graph!.initializer!) {
      const entry = (key: string) => tensor.externalData!.find((e) => e.key === key)!.value;
      expect(skeleton.stored.get(tensor.name!)).toEqual({
        file: join(dirname(external), entry("location")!),
        offset: Number(entry("offset")),
        length: Number(entry("length")),
      });
    }
  });
});

describe("deriveModel", () => {
  it("writes a graph that computes what the original does, for inline and external weights, without copying them", async () => {
    for (const source of [inline, external]) {
      const cacheDir = join(root, `cache-${source === inline ? "inline" : "external"}`);
      const derived = await deriveModel({ source, cacheDir, transform: "nothing", edit: async () => null });
      expect(derived.created).toBe(true);
      expect(derived.dataBytes).toBe(0);
      expect(await lastHiddenState(derived.path)).toEqual(await lastHiddenState(source));
      // The weights are hard links to the original files (the cache is on the same file system here).
      const original = source === inline ? source : join(dirname(source), "model.onnx_data");
      const mirrored = join(dirname(derived.path), "source", original.slice(dirname(source).length + 1));
      expect((await stat(mirrored)).ino).toBe((await stat(original)).ino);
    }
  });

  it("reuses a derived model: the second request runs no edit and reports what the first one did", async () => {
    const cacheDir = join(root, "cache-reuse");
    let edits = 0;
    const edit = async () => {
      edits++;
      return { answer: 42 };
    };
    const first = await deriveModel({ source: external, cacheDir, transform: "reuse", edit });
    const second = await deriveModel({ source: external, cacheDir, transform: "reuse", edit });
    expect(edits).toBe(1);
    expect(second).toEqual({ path: first.path, created: false, dataBytes: 0, info: { answer: 42 } });
    const other = await deriveModel({ source: external, cacheDir, transform: "another", edit });
    expect(other.path).not.toBe(first.path);
    expect(edits).toBe(2);
  });

  it("writes replaced tensors to its own data file", async () => {
    const cacheDir = join(root, "cache-replace");
    const name = "text_model.final_layer_norm.bias";
    const { dims } = await readTensor(external, name);
    const values = Float32Array.from({ length: dims[0]! }, (_, i) => i / 8);
    const derived = await deriveModel({
      source: external,
      cacheDir,
      transform: "replace",
      edit: async (model) => {
        await model.setInitializer({ name, dims, dataType: DataType.FLOAT }, values);
        expect(await model.readFloats(name)).toEqual(values);
      },
    });
    expect(derived.dataBytes).toBe(4 * dims[0]!);
    expect((await readTensor(derived.path, name)).values).toEqual(values);
    const original = await lastHiddenState(external);
    const changed = await lastHiddenState(derived.path);
    // last_hidden_state = normed · weight (ones) + bias: the new bias shows in every row.
    for (let k = 0; k < dims[0]!; k++) expect(changed[k]! - original[k]!).toBeCloseTo(values[k]! - (await readTensor(external, name)).values[k]!, 5);
  });

  it("rounds float16 tensors to nearest even, as torch's .half()", async () => {
    await deriveModel({
      source: external,
      cacheDir: join(root, "cache-half"),
      transform: "half",
      edit: async (model) => {
        // 1 + 2⁻¹¹ lies half-way between float16 1 and 1 + 2⁻¹⁰: to even, 1; 1 + 3·2⁻¹¹ goes up to 1 + 2⁻⁹.
        await model.setInitializer({ name: "half", dims: [2], dataType: DataType.FLOAT16 }, Float32Array.of(1 + 2 ** -11, 1 + 3 * 2 ** -11));
        expect(await model.readFloats("half")).toEqual(Float32Array.of(1, 1 + 2 ** -9));
      },
    });
  });

  it("gets a new source id when the source changes", async () => {
    const dir = join(root, "identity");
    await mkdir(dir);
    const path = join(dir, "model.onnx");
    await writeFile(path, "x");
    const before = await sourceIdentity(path);
    await utimes(path, new Date(0), new Date(1000));
    expect(await sourceIdentity(path)).not.toBe(before);
  });
});

describe("onnxruntime-node 1.30 and derived models (the facts the layout rests on)", () => {
  it("refuses external data reached through a symlink out of the model's folder", async () => {
    const derived = await deriveModel({ source: external, cacheDir: join(root, "cache-symlink"), transform: "nothing", edit: async () => null });
    const dir = join(root, "symlinked");
    await mkdir(join(dir, "source"), { recursive: true });
    await writeFile(join(dir, "model.onnx"), await readFile(derived.path));
    await symlink(join(dirname(external), "model.onnx_data"), join(dir, "source", "model.onnx_data"));
    await expect(InferenceSession.create(join(dir, "model.onnx"))).rejects.toThrow(/escapes model directory/);
  });

  it.runIf(existsSync("/dev/shm"))("copies the source once when the cache is on another file system (tmpfs here)", async () => {
    const cacheDir = await mkdtemp("/dev/shm/serena-derive-");
    try {
      const derived = await deriveModel({ source: external, cacheDir, transform: "nothing", edit: async () => null });
      const mirrored = join(dirname(derived.path), "source", "model.onnx_data");
      const [copy, original] = await Promise.all([stat(mirrored), stat(join(dirname(external), "model.onnx_data"))]);
      if (copy.dev === original.dev) return; // same file system after all: nothing to check
      expect(copy.ino).not.toBe(original.ino);
      expect(copy.size).toBe(original.size);
      expect(await lastHiddenState(derived.path)).toEqual(await lastHiddenState(external));
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
