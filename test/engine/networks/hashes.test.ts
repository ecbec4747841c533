import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addnetHashSafetensors,
  embeddingHash,
  fileSha256,
  formatLoraHashes,
  formatTiHashes,
  loraHash,
  networkShortHash,
} from "../../../lib/engine/networks/index.ts";
import { encodeSafetensors, fixtureDir, rawSafetensors } from "../../fixtures/safetensors.ts";

let fixtures: Awaited<ReturnType<typeof fixtureDir>>;
beforeAll(async () => {
  fixtures = await fixtureDir();
});
afterAll(() => fixtures.cleanup());

/** coreutils `sha256sum` of a file, or of bytes given on stdin. */
const sha256sum = (input: { path: string } | { bytes: Uint8Array }) =>
  ("path" in input ? execFileSync("sha256sum", [input.path]) : execFileSync("sha256sum", { input: input.bytes })).toString().split(" ")[0];

// SHA-256 of the empty string (FIPS 180-4 test vectors, as every sha256 implementation gives it).
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** A LoRA-shaped file of about 3 MB, so hashing streams many chunks. */
const lora = (metadata: Record<string, string>) =>
  encodeSafetensors(
    {
      "lora_unet_conv_in.lora_down.weight": { dtype: "F32", shape: [384, 1024], values: Array.from({ length: 384 * 1024 }, (_, i) => Math.sin(i)) },
      "lora_unet_conv_in.lora_up.weight": { dtype: "F16", shape: [8, 384], values: Array.from({ length: 8 * 384 }, (_, i) => i / 1000) },
    },
    metadata,
  );

describe("file hashes match sha256sum", () => {
  it("the whole file (embeddings, and LoRAs that are not .safetensors)", async () => {
    const path = await fixtures.write("whole.safetensors", lora({ ss_output_name: "x" }));
    expect(await fileSha256(path)).toBe(sha256sum({ path }));
    expect(await embeddingHash(path)).toBe(sha256sum({ path }));
  });

  it("the addnet hash: the bytes after the 8 + N header bytes, unchanged by editing metadata", async () => {
    const first = await fixtures.write("a.safetensors", lora({ ss_output_name: "first" }));
    const second = await fixtures.write("b.safetensors", lora({ ss_output_name: "second, renamed", extra: "1" }));
    const bytes = readFileSync(first);
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const expected = sha256sum({ bytes: bytes.subarray(8 + headerLength) });
    expect(await addnetHashSafetensors(first)).toBe(expected);
    expect(await addnetHashSafetensors(second)).toBe(expected);
    expect(await fileSha256(second)).not.toBe(await fileSha256(first));
  });

  it("the addnet hash of a header length past the end is that of nothing, as in A1111", async () => {
    const path = await fixtures.write("past.safetensors", rawSafetensors("{}", new Uint8Array(4), 1000n));
    expect(await addnetHashSafetensors(path)).toBe(EMPTY_SHA256);
    const tiny = await fixtures.write("tiny.safetensors", Uint8Array.of(1, 2, 3));
    await expect(addnetHashSafetensors(tiny)).rejects.toMatchObject({ kind: "malformed" });
    await expect(addnetHashSafetensors(join(fixtures.dir, "missing.safetensors"))).rejects.toMatchObject({ kind: "io" });
    await expect(fileSha256(join(fixtures.dir, "missing.pt"))).rejects.toMatchObject({ kind: "io" });
  });
});

describe("the hash A1111 lists for a LoRA", () => {
  it("is sshs_model_hash when the metadata has one", async () => {
    const path = await fixtures.write("stored.safetensors", lora({}));
    expect(await loraHash(path, { sshs_model_hash: "0123456789abcdef" })).toBe("0123456789abcdef");
  });

  it("else the addnet hash for .safetensors files and the whole-file hash for others", async () => {
    const bytes = lora({ ss_network_dim: "8" });
    const safetensors = await fixtures.write("net.SafeTensors", bytes);
    const other = await fixtures.write("net.pt", bytes);
    expect(await loraHash(safetensors, { sshs_model_hash: "" })).toBe(await addnetHashSafetensors(safetensors));
    expect(await loraHash(other, {})).toBe(sha256sum({ path: other }));
  });

  it("is shortened to 12 hex digits", () => {
    expect(networkShortHash("cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516")).toBe("cc6cb2710341");
  });
});

describe("infotext hash lists", () => {
  it("Lora hashes: names cleaned of ':' and ',', entries without hash left out, one entry per name", () => {
    expect(
      formatLoraHashes([
        { name: "style:v2, final", shorthash: "aaaaaaaaaaaa" },
        { name: "nohash", shorthash: "" },
        { name: "detail", shorthash: "bbbbbbbbbbbb" },
        { name: "style:v2, final", shorthash: "cccccccccccc" },
      ]),
    ).toBe("stylev2 final: cccccccccccc, detail: bbbbbbbbbbbb");
    expect(formatLoraHashes([{ name: "x", shorthash: "" }])).toBeNull();
  });

  it("TI hashes: new entries before the value already there", () => {
    expect(formatTiHashes([{ name: "easynegative", shorthash: "c74b4e810b03" }])).toBe("easynegative: c74b4e810b03");
    expect(formatTiHashes([{ name: "a:b", shorthash: "111111111111" }, { name: "c", shorthash: "" }], "easynegative: c74b4e810b03")).toBe(
      "ab: 111111111111, easynegative: c74b4e810b03",
    );
    expect(formatTiHashes([{ name: "c", shorthash: "" }], "kept: 222222222222")).toBe("kept: 222222222222");
    expect(formatTiHashes([])).toBeNull();
  });
});
