/**
 * The embeddings folder and prompt matching as A1111 v1.10's EmbeddingDatabase does them
 * (modules/textual_inversion/textual_inversion.py: `load_from_dir`, `register_embedding_by_name`,
 * `find_embedding_at_position`; sd_hijack_clip.py `tokenize_line`), and embedding images
 * (textual_inversion/image_embedding.py: base64 JSON in an `sd-ti-embedding` text chunk).
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIP_TOKENIZER_DIR } from "../../../lib/engine/model-builder/index.ts";
import { EmbeddingLibrary, embeddingMatcher, readEmbeddingFolder } from "../../../lib/engine/networks/embedding-library.ts";
import { NetworkFileError } from "../../../lib/engine/networks/network-file-error.ts";
import { readPngEmbeddingText } from "../../../lib/engine/networks/png-embedding.ts";
import { CHUNK_LENGTH, tokenizePrompt } from "../../../lib/engine/prompts/chunks.ts";
import { loadClipTokenizer, type ClipTokenizer } from "../../../lib/engine/tokenizer/clip-tokenizer.ts";
import { encodeSafetensors } from "../../fixtures/safetensors.ts";

const WIDTH = 8;
let root: string;
let tokenizer: ClipTokenizer;

const vectors = (count: number, width = WIDTH, start = 0) => Array.from({ length: count * width }, (_, i) => start + i / 64);
const safetensorsEmbedding = (count: number, width = WIDTH, start = 0) =>
  encodeSafetensors({ emb_params: { dtype: "F32", shape: [count, width], values: vectors(count, width, start) } });

/** A PNG (1×1 grey) with one text chunk, as Pillow writes `PngInfo.add_text` (tEXt, zTXt or iTXt). */
function pngWithText(type: "tEXt" | "zTXt" | "iTXt", keyword: string, text: string): Buffer {
  const chunk = (kind: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(kind, 4, "latin1");
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(kind, "latin1"), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
  const key = Buffer.from(`${keyword}\0`, "latin1");
  const body =
    type === "tEXt"
      ? Buffer.concat([key, Buffer.from(text, "latin1")])
      : type === "zTXt"
        ? Buffer.concat([key, Buffer.from([0]), deflateSync(Buffer.from(text, "latin1"))])
        : Buffer.concat([key, Buffer.from([1, 0]), Buffer.from("\0\0", "latin1"), deflateSync(Buffer.from(text, "utf8"))]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk(type, body),
    chunk("IDAT", deflateSync(Buffer.from([0, 128]))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A1111 `embedding_to_b64` of an embedding dict: JSON with tensors as {"TORCHTENSOR": nested lists}, base64. */
function a1111B64(name: string, rows: number[][], step: number): string {
  const data = {
    string_to_token: { "*": 265 },
    string_to_param: { "*": { TORCHTENSOR: rows } },
    name,
    step,
    sd_checkpoint: "abcdef0123",
    sd_checkpoint_name: "v1-5-pruned",
  };
  return Buffer.from(JSON.stringify(data)).toString("base64");
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "serena-embeddings-"));
  tokenizer = await loadClipTokenizer(CLIP_TOKENIZER_DIR);
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe("reading an embeddings folder", () => {
  it("loads safetensors and PNG embeddings (subfolders too), skips other widths, refuses pickles, ignores the rest", async () => {
    const dir = join(root, "folder");
    await mkdir(join(dir, "nested"), { recursive: true });
    await writeFile(join(dir, "Zeta.safetensors"), safetensorsEmbedding(2));
    await writeFile(join(dir, "nested", "alpha.safetensors"), safetensorsEmbedding(1));
    await writeFile(join(dir, "wide.safetensors"), safetensorsEmbedding(1, 16));
    await writeFile(join(dir, "card.png"), pngWithText("tEXt", "sd-ti-embedding", a1111B64("painted", [vectors(1)], 500)));
    await writeFile(join(dir, "card.preview.png"), pngWithText("tEXt", "sd-ti-embedding", a1111B64("preview", [vectors(1)], 1)));
    await writeFile(join(dir, "old.pt"), Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x01, 0, 0, 0, 0x61, 0x4e, 0x73, 0x2e, 0, 0]));
    await writeFile(join(dir, "notes.txt"), "not an embedding");
    await writeFile(join(dir, "empty.safetensors"), "");
    await writeFile(join(dir, "broken.safetensors"), "garbage that is not safetensors");

    const folder = await readEmbeddingFolder(dir, WIDTH);
    // `word_embeddings` sorted by lower-cased name; the PNG's name is the one its data holds.
    expect([...folder.loaded.keys()]).toEqual(["alpha", "painted", "Zeta"]);
    expect(folder.loaded.get("Zeta")).toMatchObject({ vectorCount: 2, shape: WIDTH, step: null, sd_checkpoint: null });
    expect(folder.loaded.get("painted")).toMatchObject({ vectorCount: 1, step: 500, sd_checkpoint: "abcdef0123", sd_checkpoint_name: "v1-5-pruned" });
    expect([...folder.skipped.keys()]).toEqual(["wide"]);
    expect([...folder.refused.keys()]).toEqual(["old"]);
    expect(folder.failed.map((f) => f.path)).toEqual([join(dir, "broken.safetensors")]);
  });

  it("reads the sd-ti-embedding text from tEXt, zTXt and iTXt chunks, and nothing from other keywords", async () => {
    for (const type of ["tEXt", "zTXt", "iTXt"] as const) {
      const path = join(root, `${type}.png`);
      await writeFile(path, pngWithText(type, "sd-ti-embedding", "eyJhIjogMX0="));
      expect(await readPngEmbeddingText(path)).toBe("eyJhIjogMX0=");
    }
    const other = join(root, "other.png");
    await writeFile(other, pngWithText("tEXt", "parameters", "a cat"));
    expect(await readPngEmbeddingText(other)).toBeNull();
  });
});

describe("matching embedding names in prompts", () => {
  async function library(files: Record<string, Uint8Array | Buffer>) {
    const dir = await mkdtemp(join(root, "lib-"));
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
    return readEmbeddingFolder(dir, WIDTH);
  }

  it("takes the longest name at a position, and as many positions as the embedding has vectors, at the piece's weight", async () => {
    const folder = await library({ "red.safetensors": safetensorsEmbedding(1), "red fox.safetensors": safetensorsEmbedding(3) });
    const matcher = embeddingMatcher(folder, tokenizer);
    const { chunks } = tokenizePrompt("a (red fox:1.5) and red", tokenizer, { embeddings: matcher });
    const chunk = chunks[0]!;
    // BOS, "a", red fox ×3, "and", red ×1, EOS…
    expect(chunk.fixes.map((f) => [f.position, f.embedding.name])).toEqual([
      [2, "red fox"],
      [6, "red"],
    ]);
    expect([...chunk.ids.slice(2, 5)]).toEqual([0, 0, 0]);
    expect([...chunk.weights.slice(2, 5)]).toEqual([1.5, 1.5, 1.5]);
    expect(chunk.ids[5]).toBe(tokenizer.encode("and")[0]);
  });

  it("starts a new chunk rather than split an embedding over two (its vectors count toward the 75)", async () => {
    const folder = await library({ "sparkle.safetensors": safetensorsEmbedding(4) });
    const matcher = embeddingMatcher(folder, tokenizer);
    const filler = Array.from({ length: CHUNK_LENGTH - 2 }, () => "cat").join(" ");
    const { chunks } = tokenizePrompt(`${filler} sparkle`, tokenizer, { embeddings: matcher, commaPaddingBacktrack: 0 });
    expect(chunks).toHaveLength(2);
    expect(chunks[0]!.fixes).toEqual([]);
    expect(chunks[1]!.fixes.map((f) => f.position)).toEqual([1]);
  });

  it("refuses a prompt that names a pickle embedding, and leaves skipped (other-width) names as text", async () => {
    const folder = await library({
      "old.pt": Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x58, 0x01, 0, 0, 0, 0x61, 0x4e, 0x73, 0x2e, 0, 0]),
      "wide.safetensors": safetensorsEmbedding(1, 16),
    });
    const matcher = embeddingMatcher(folder, tokenizer);
    expect(() => tokenizePrompt("an old house", tokenizer, { embeddings: matcher })).toThrow(NetworkFileError);
    expect(() => tokenizePrompt("an old house", tokenizer, { embeddings: matcher })).toThrow(/old/);
    expect(tokenizePrompt("a wide view", tokenizer, { embeddings: matcher }).chunks[0]!.fixes).toEqual([]);
  });
});

describe("EmbeddingLibrary reloads", () => {
  it("when the folder's modification time changes, and when forced", async () => {
    const dir = await mkdtemp(join(root, "reload-"));
    await writeFile(join(dir, "one.safetensors"), safetensorsEmbedding(1));
    const lib = new EmbeddingLibrary(dir, WIDTH, tokenizer);
    expect([...(await lib.refresh()).loaded.keys()]).toEqual(["one"]);
    await writeFile(join(dir, "two.safetensors"), safetensorsEmbedding(1));
    const later = new Date(Date.now() + 5000);
    await utimes(dir, later, later);
    expect([...(await lib.refresh()).loaded.keys()]).toEqual(["one", "two"]);
    // A file replaced in place does not change the folder's time: only a forced reload sees it.
    await writeFile(join(dir, "one.safetensors"), safetensorsEmbedding(3));
    expect((await lib.refresh()).loaded.get("one")!.vectorCount).toBe(1);
    expect((await lib.refresh(true)).loaded.get("one")!.vectorCount).toBe(3);
  });
});
