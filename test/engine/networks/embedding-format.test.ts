import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddingFromB64, readEmbeddingFile } from "../../../lib/engine/networks/index.ts";
import { encodeSafetensors, fixtureDir, type FixtureTensor } from "../../fixtures/safetensors.ts";

let fixtures: Awaited<ReturnType<typeof fixtureDir>>;
beforeAll(async () => {
  fixtures = await fixtureDir();
});
afterAll(() => fixtures.cleanup());

const ramp = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => (i + offset) / 64);
const f32 = (shape: number[], offset = 0): FixtureTensor => ({ dtype: "F32", shape, values: ramp(shape.reduce((a, b) => a * b, 1), offset) });

async function embedding(name: string, tensors: Record<string, FixtureTensor>, metadata?: Record<string, string>) {
  return readEmbeddingFile(await fixtures.write(name, encodeSafetensors(tensors, metadata)));
}

describe("safetensors embeddings, as A1111 loads them", () => {
  it("one tensor (kohya's emb_params): vectors × width, and no step or checkpoint whatever __metadata__ says", async () => {
    const emb = await embedding("emb.safetensors", { emb_params: f32([2, 768]) }, { step: "1000", sd_checkpoint: "abc" });
    expect(emb.form).toBe("single_tensor");
    expect([emb.vectorCount, emb.shape]).toEqual([2, 768]);
    expect(emb.vectors.text_encoder.shape).toEqual([2, 768]);
    expect([...emb.vectors.text_encoder.data.slice(766, 770)]).toEqual(ramp(770).slice(766));
    expect(emb.vectors.text_encoder_2).toBeUndefined();
    // safetensors.torch.load_file returns tensors only, so data.get("step") is None in A1111.
    expect([emb.step, emb.sd_checkpoint, emb.sd_checkpoint_name]).toEqual([null, null, null]);
    expect(emb.metadata).toEqual({ step: "1000", sd_checkpoint: "abc" });
  });

  it("a 1-D tensor is one vector (diffusers concepts)", async () => {
    const emb = await embedding("concept.safetensors", { "<cat-toy>": f32([1024]) });
    expect([emb.form, emb.vectorCount, emb.shape]).toEqual(["single_tensor", 1, 1024]);
    expect(emb.vectors.text_encoder.shape).toEqual([1, 1024]);
  });

  it("SDXL clip_l/clip_g pairs: one matrix per encoder, shape the sum of widths, other keys not read", async () => {
    const emb = await embedding("sdxl.safetensors", {
      clip_g: f32([3, 1280], 1000),
      clip_l: f32([3, 768]),
      extra: { dtype: "I32", shape: [2], values: [1, 2] },
    });
    expect([emb.form, emb.vectorCount, emb.shape]).toEqual(["sdxl", 3, 2048]);
    expect(emb.vectors.text_encoder.shape).toEqual([3, 768]);
    expect(emb.vectors.text_encoder_2?.shape).toEqual([3, 1280]);
    expect(emb.vectors.text_encoder_2?.data[0]).toBe(1000 / 64);
  });

  it("refuses what A1111 cannot use", async () => {
    const cases: [string, Record<string, FixtureTensor>, RegExp][] = [
      ["two.safetensors", { a: f32([1, 768]), b: f32([1, 768]) }, /multiple terms/],
      ["none.safetensors", {}, /holds no tensors/],
      ["stp.safetensors", { string_to_param: f32([1, 768]) }, /string_to_param is not a dict/],
      ["rows.safetensors", { clip_l: f32([2, 768]), clip_g: f32([3, 1280]) }, /clip_l has 2 vectors but clip_g has 3/],
      ["cube.safetensors", { emb_params: f32([1, 2, 768]) }, /\[vectors, width\]/],
      ["ints.safetensors", { emb_params: { dtype: "I32", shape: [1, 2], values: [1, 2] } }, /not a float dtype/],
    ];
    for (const [name, tensors, message] of cases) {
      await expect(embedding(name, tensors), name).rejects.toMatchObject({ name: "NetworkFileError", kind: "unsupported", message });
    }
  });

  it("refuses a pickled .pt embedding without reading it", async () => {
    const path = await fixtures.write("old.pt", Uint8Array.of(0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x10, 0, 0, 0));
    await expect(readEmbeddingFile(path)).rejects.toMatchObject({ kind: "pickle" });
  });
});

/** What A1111's `embedding_to_b64` writes: base64 of the JSON dict, tensors as {"TORCHTENSOR": nested lists}. */
const b64 = (data: unknown) => Buffer.from(JSON.stringify(data)).toString("base64");

describe("embedding images (sd-ti-embedding chunk)", () => {
  it("read the string_to_param dict with its step and checkpoint", () => {
    // textual_inversion.py Embedding.save: the dict A1111 stores in .pt files and embedding images.
    const emb = embeddingFromB64(
      b64({
        string_to_token: { "*": 265 },
        string_to_param: { "*": { TORCHTENSOR: [ramp(4), ramp(4, 4)] } },
        name: "my-style",
        step: 1500,
        sd_checkpoint: "cc6cb27103",
        sd_checkpoint_name: "v1-5-pruned-emaonly",
      }),
      "my-style.png",
    );
    expect(emb).toMatchObject({ form: "string_to_param", vectorCount: 2, shape: 4, step: 1500, sd_checkpoint: "cc6cb27103", sd_checkpoint_name: "v1-5-pruned-emaonly", name: "my-style" });
    expect([...emb.vectors.text_encoder.data]).toEqual(ramp(8));
  });

  it("leave missing or null fields null", () => {
    const emb = embeddingFromB64(b64({ string_to_param: { "*": { TORCHTENSOR: [[0.5, 0.25]] } }, step: null }), "x.png");
    expect([emb.step, emb.sd_checkpoint, emb.sd_checkpoint_name, emb.name]).toEqual([null, null, null, null]);
  });

  it("refuse several terms, ragged tensors, 1-D string_to_param vectors and non-JSON text", () => {
    expect(() => embeddingFromB64(b64({ string_to_param: { "*": { TORCHTENSOR: [[1]] }, "+": { TORCHTENSOR: [[1]] } } }), "x.png")).toThrow(/multiple terms/);
    expect(() => embeddingFromB64(b64({ string_to_param: { "*": { TORCHTENSOR: [[1, 2], [3]] } } }), "x.png")).toThrow(/not rectangular/);
    expect(() => embeddingFromB64(b64({ string_to_param: { "*": { TORCHTENSOR: [1, 2] } } }), "x.png")).toThrow(/\[vectors, width\]/);
    expect(() => embeddingFromB64(b64({ string_to_param: [] }), "x.png")).toThrow(/not a dict/);
    expect(() => embeddingFromB64(b64({ name: "x" }), "x.png")).toThrow(/neither a textual inversion embedding nor a diffuser concept/);
    expect(() => embeddingFromB64("not base64 json", "x.png")).toThrow(expect.objectContaining({ kind: "malformed" }));
  });
});
