import { open as openFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_HEADER_BYTES, NetworkFileError, SafetensorsFile, withSafetensors } from "../../../lib/engine/networks/index.ts";
import { encodeSafetensors, fixtureDir, rawSafetensors } from "../../fixtures/safetensors.ts";

let fixtures: Awaited<ReturnType<typeof fixtureDir>>;
beforeAll(async () => {
  fixtures = await fixtureDir();
});
afterAll(() => fixtures.cleanup());

const bytesOf = (...values: number[]) => Uint8Array.from(values);
const u16le = (bits: readonly number[]) => new Uint8Array(new Uint16Array(bits).buffer);

/** Expects opening `bytes` (written as `name`) to fail with a NetworkFileError of `kind` whose message matches. */
async function expectRefused(name: string, bytes: Uint8Array, kind: NetworkFileError["kind"], message: RegExp) {
  const path = await fixtures.write(name, bytes);
  const error = await SafetensorsFile.open(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetworkFileError);
  expect((error as NetworkFileError).kind).toBe(kind);
  expect((error as NetworkFileError).file).toBe(path);
  expect((error as NetworkFileError).message).toMatch(message);
}

// The example file of huggingface/safetensors (safetensors/src/tensor.rs, `SafeTensors::deserialize` docs and
// test_metadata_incomplete_buffer): a 60-byte header ('<') and one I32 [2, 2] tensor of 16 zero bytes.
const SPEC_HEADER = '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}';

describe("a valid safetensors file", () => {
  it("reads the format's own example: header, offsets and raw bytes", async () => {
    const path = await fixtures.write("spec.safetensors", rawSafetensors(SPEC_HEADER, new Uint8Array(16)));
    await withSafetensors(path, async (file) => {
      expect(file.headerLength).toBe(60);
      expect(file.dataStart).toBe(68);
      expect(file.fileSize).toBe(84);
      expect(file.tensors.get("test")).toEqual({ name: "test", dtype: "I32", shape: [2, 2], elements: 4, begin: 0, end: 16 });
      expect(Object.keys(file.metadata)).toEqual([]);
      expect([...(await file.readBytes("test"))]).toEqual(new Array(16).fill(0));
    });
  });

  it("decodes F16 and BF16 bit patterns as torch does", async () => {
    // Bits and values from torch 1.13: torch.tensor(v).to(dtype).view(torch.int16) and .float().
    const bf16 = [0x3f80, 0xc010, 0x4049, 0x3dcd, 0xc780, 0x322c, 0x7f62, 0x7f80, 0x8000];
    const bf16Values = [1, -2.25, 3.140625, 0.10009765625, -65536, 1.0011717677116394e-8, 3.00405527047391e38, Infinity, -0];
    const f16 = [0x3c00, 0xc080, 0x4248, 0x2e66, 0xfbff, 0x0000, 0x7c00, 0x8000];
    const f16Values = [1, -2.25, 3.140625, 0.0999755859375, -65504, 0, Infinity, -0];
    const path = await fixtures.write(
      "halves.safetensors",
      encodeSafetensors({
        bf: { dtype: "BF16", shape: [9], bytes: u16le(bf16) },
        half: { dtype: "F16", shape: [8], bytes: u16le(f16) },
      }),
    );
    await withSafetensors(path, async (file) => {
      expect([...(await file.readTensor("bf")).data]).toEqual(bf16Values);
      expect([...(await file.readTensor("half")).data]).toEqual(f16Values);
    });
  });

  it("rounds F64 to the nearest float32, keeps F32, and carries the shape", async () => {
    const path = await fixtures.write(
      "wide.safetensors",
      encodeSafetensors({
        f64: { dtype: "F64", shape: [2, 2], values: [0.1, 1 / 3, 1e-40, 1e300] },
        f32: { dtype: "F32", shape: [3], values: [0.5, -7, 1e-3] },
      }),
    );
    await withSafetensors(path, async (file) => {
      // torch 1.13: torch.tensor([0.1, 1/3, 1e-40, 1e300], dtype=torch.float64).float()
      const f64 = await file.readTensor("f64");
      expect(f64.shape).toEqual([2, 2]);
      expect([...f64.data]).toEqual([0.10000000149011612, 0.3333333432674408, 9.99994610111476e-41, Infinity]);
      expect([...(await file.readTensor("f32")).data]).toEqual([0.5, -7, Math.fround(1e-3)]);
    });
  });

  it("reads __metadata__, header padding, scalars and empty tensors", async () => {
    const bytes = encodeSafetensors(
      {
        alpha: { dtype: "F32", shape: [], values: [8] },
        empty: { dtype: "F16", shape: [0, 4] },
        w: { dtype: "F32", shape: [1], values: [2] },
      },
      { ss_network_dim: "16", note: "a{b" },
    );
    const path = await fixtures.write("meta.safetensors", bytes);
    await withSafetensors(path, async (file) => {
      expect(file.headerLength % 8).toBe(0);
      expect({ ...file.metadata }).toEqual({ ss_network_dim: "16", note: "a{b" });
      expect(await file.readTensor("alpha")).toEqual({ shape: [], data: Float32Array.of(8) });
      expect((await file.readTensor("empty")).data.length).toBe(0);
      expect([...file.tensors.keys()]).toEqual(["alpha", "empty", "w"]);
    });
  });

  it("refuses non-float dtypes for decoding and unknown tensor names", async () => {
    const path = await fixtures.write("ints.safetensors", rawSafetensors(SPEC_HEADER, new Uint8Array(16)));
    await withSafetensors(path, async (file) => {
      await expect(file.readTensor("test")).rejects.toMatchObject({ kind: "unsupported", message: /I32/ });
      await expect(file.readBytes("missing")).rejects.toBeInstanceOf(RangeError);
    });
  });

  it("opens a file larger than 2 GiB by its header alone and reads a tensor past 2^31", async () => {
    const big = 3 * 2 ** 30;
    const header = JSON.stringify({
      big: { dtype: "U8", shape: [big], data_offsets: [0, big] },
      tail: { dtype: "F32", shape: [2], data_offsets: [big, big + 8] },
    });
    const path = await fixtures.write("sparse.safetensors", rawSafetensors(header));
    // A sparse file: the 3 GiB tensor is never written, so this costs no disk and no memory.
    const handle = await openFile(path, "r+");
    await handle.write(new Uint8Array(new Float32Array([1.5, -4]).buffer), 0, 8, 8 + header.length + big);
    await handle.close();
    await withSafetensors(path, async (file) => {
      expect(file.fileSize).toBe(8 + header.length + big + 8);
      expect([...(await file.readTensor("tail")).data]).toEqual([1.5, -4]);
    });
  });
});

describe("malformed safetensors files are refused with what is wrong", () => {
  const tensor = (dtype: string, shape: unknown, offsets: unknown) => JSON.stringify({ dtype, shape, data_offsets: offsets });

  it("a file shorter than 8 bytes", async () => {
    await expectRefused("tiny.safetensors", bytesOf(1, 0, 0), "malformed", /3 bytes, too short/);
  });

  it("a header length past the end of the file", async () => {
    await expectRefused("short.safetensors", rawSafetensors(SPEC_HEADER, new Uint8Array(16), 500n), "malformed", /shorter than its declared 500-byte header/);
  });

  it("a header over the 100 MB limit, however the length is written", async () => {
    await expectRefused("huge.safetensors", rawSafetensors("{}", new Uint8Array(0), BigInt(MAX_HEADER_BYTES + 1)), "malformed", /limit is 100000000/);
    await expectRefused("u64.safetensors", rawSafetensors("{}", new Uint8Array(0), 2n ** 64n - 1n), "malformed", /18446744073709551615-byte header/);
  });

  it("data missing at the end (truncated file)", async () => {
    // safetensors tensor.rs test_metadata_incomplete_buffer, "missing data": 14 of the 16 bytes.
    await expectRefused("truncated.safetensors", rawSafetensors(SPEC_HEADER, new Uint8Array(14)), "malformed", /ends at byte 16 of a 14-byte data area/);
  });

  it("bytes after the last tensor", async () => {
    // The same test's "extra data" case: a polyglot tail after the tensors.
    const data = new Uint8Array([...new Uint8Array(16), ...new TextEncoder().encode("extra_bogus_data_for_polyglot_file")]);
    await expectRefused("extra.safetensors", rawSafetensors(SPEC_HEADER, data), "malformed", /has 50 bytes but its tensors cover 16/);
  });

  it("a byte count that does not match shape × dtype size", async () => {
    await expectRefused("count.safetensors", rawSafetensors(`{"w":${tensor("F32", [2, 2], [0, 12])}}`, new Uint8Array(12)), "malformed", /spans 12 bytes but F32 \[2,2\] needs 16/);
  });

  it("overlapping offsets", async () => {
    const header = `{"a":${tensor("F32", [4], [0, 16])},"b":${tensor("F32", [4], [8, 24])}}`;
    await expectRefused("overlap.safetensors", rawSafetensors(header, new Uint8Array(24)), "malformed", /"b" overlaps the tensor before it/);
  });

  it("a hole between tensors", async () => {
    const header = `{"a":${tensor("F32", [2], [0, 8])},"b":${tensor("F32", [2], [12, 20])}}`;
    await expectRefused("hole.safetensors", rawSafetensors(header, new Uint8Array(20)), "malformed", /bytes 8\.\.12 of the data area belong to no tensor/);
  });

  it("an unknown dtype", async () => {
    await expectRefused("dtype.safetensors", rawSafetensors(`{"w":${tensor("F17", [1], [0, 4])}}`, new Uint8Array(4)), "malformed", /unknown dtype "F17"/);
  });

  it("negative, fractional or unaddressable shapes", async () => {
    await expectRefused("neg.safetensors", rawSafetensors(`{"w":${tensor("F32", [-1], [0, 4])}}`, new Uint8Array(4)), "malformed", /invalid shape \[-1\]/);
    await expectRefused("frac.safetensors", rawSafetensors(`{"w":${tensor("F32", [1.5], [0, 4])}}`, new Uint8Array(4)), "malformed", /invalid shape/);
    // 2^40 × 2^40 overflows before the trailing 0 would make it empty (the library's ValidationOverflow).
    await expectRefused("overflow.safetensors", rawSafetensors(`{"w":${tensor("F32", [2 ** 40, 2 ** 40, 0], [0, 0])}}`), "malformed", /too large/);
  });

  it("bad data_offsets", async () => {
    await expectRefused("reversed.safetensors", rawSafetensors(`{"w":${tensor("F32", [1], [4, 0])}}`, new Uint8Array(4)), "malformed", /invalid data_offsets/);
    await expectRefused("one.safetensors", rawSafetensors(`{"w":${tensor("F32", [1], [0])}}`, new Uint8Array(4)), "malformed", /invalid data_offsets/);
  });

  it("headers that are not a JSON object of tensors", async () => {
    await expectRefused("array.safetensors", rawSafetensors("[1, 2, 3]"), "malformed", /not a safetensors file \(no '\{' at byte 8\)/);
    await expectRefused("json.safetensors", rawSafetensors('{"w": '), "malformed", /not valid JSON/);
    const badUtf8 = rawSafetensors('{"a":1}');
    badUtf8[10] = 0xff;
    await expectRefused("utf8.safetensors", badUtf8, "malformed", /not valid UTF-8/);
    await expectRefused("entry.safetensors", rawSafetensors('{"w": 3}'), "malformed", /tensor "w" is not an object/);
    await expectRefused("meta.safetensors", rawSafetensors('{"__metadata__": {"step": 3}}'), "malformed", /__metadata__ "step" is not a string/);
  });

  it("a file cut short after it was opened", async () => {
    const path = await fixtures.write("shrinks.safetensors", encodeSafetensors({ w: { dtype: "F32", shape: [4], values: [1, 2, 3, 4] } }));
    await using file = await SafetensorsFile.open(path);
    await truncate(path, file.dataStart + 6);
    await expect(file.readTensor("w")).rejects.toMatchObject({ kind: "io", message: /ended at byte \d+, expected \d+/ });
  });

  it("a missing file", async () => {
    await expect(SafetensorsFile.open(join(fixtures.dir, "nope.safetensors"))).rejects.toMatchObject({ kind: "io", message: /ENOENT/ });
  });
});

describe("pickles are refused by content, never read", () => {
  it("a torch.save zip archive, whatever its name", async () => {
    const zip = bytesOf(0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
    await expectRefused("model.safetensors", zip, "pickle", /zip archive.*never executes pickles; convert the file to \.safetensors/);
  });

  it("bare pickle streams (legacy torch.save and protocol 4)", async () => {
    // Legacy torch.save starts by pickling its magic number: PROTO 2, LONG1 0x1950a86a20f9469cfc6c.
    const legacy = bytesOf(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19);
    await expectRefused("embedding.pt", legacy, "pickle", /Python pickle/);
    await expectRefused("learned_embeds.bin", bytesOf(0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0x7d, 0x94), "pickle", /never executes pickles/);
  });

  it("a safetensors file whose header length starts with 0x80 0x02 is still safetensors", async () => {
    // A 640-byte header is written 80 02 00 00 …, the same first two bytes as a protocol-2 pickle.
    const header = `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`.padEnd(640, " ");
    const path = await fixtures.write("ambiguous.safetensors", rawSafetensors(header, new Uint8Array(new Float32Array([3]).buffer)));
    await withSafetensors(path, async (file) => {
      expect(file.headerLength).toBe(0x280);
      expect([...(await file.readTensor("w")).data]).toEqual([3]);
    });
  });
});
