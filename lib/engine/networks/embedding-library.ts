/**
 * A folder of textual-inversion embeddings as A1111 v1.10's EmbeddingDatabase loads and matches them
 * (modules/textual_inversion/textual_inversion.py):
 *
 * - every file under the folder, subfolders included (`os.walk(…, followlinks=True)`), empty files skipped; the
 *   embedding is named after the file without its extension, or the `name` its data holds (embedding images);
 * - `.safetensors` files are read (embedding-format.ts); `.pt`/`.bin` files, which A1111 reads with torch.load, are
 *   pickles Serena never runs: they are *refused*, known by name so that a prompt naming one is an error that says so
 *   rather than text; `.png` files with an `sd-ti-embedding` text chunk are read (png-embedding.ts), other images
 *   (`*.preview.png`, pixel-encoded data, WebP/JXL/AVIF) are not embeddings here; other files are ignored;
 * - an embedding whose vector width differs from the text encoder's (`expected_shape`, 768 for SD 1.x, 1024 for SD
 *   2.x; SDXL embeddings are 2048) is *skipped*: listed, never matched;
 * - a file that cannot be read is left out (A1111 logs it); Serena keeps the reason in `failed`;
 * - matching (`find_embedding_at_position`) is on token ids: each embedding is registered under its name's token ids
 *   (`tokenize([name])`), in load order, a later file of the same name replacing the earlier one; at a prompt position
 *   the candidates sharing the first id are tried longest first (a stable sort, so ties keep load order);
 * - the folder is reloaded when its modification time changes (`DirWithTextualInversionEmbeddings.has_changed`, the
 *   folder itself, not its files) or when asked to (`/sdapi/v1/refresh-embeddings`, `force_reload=True`).
 *
 * Loaded and skipped embeddings carry the sha256 of their file (`create_embedding_from_data` → `hashes.sha256`), whose
 * first 12 hex digits the `TI hashes` infotext entry shows.
 */
import { stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { EmbeddingMatcher, PromptEmbedding } from "../prompts/chunks.ts";
import { CHUNK_LENGTH } from "../prompts/chunks.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { embeddingFromB64, readEmbeddingFile } from "./embedding-format.ts";
import { walkFolder } from "./folder-walk.ts";
import { embeddingHash } from "./hashes.ts";
import { NetworkFileError } from "./network-file-error.ts";
import { readPngEmbeddingText } from "./png-embedding.ts";
import { SafetensorsFile } from "./safetensors.ts";

export interface LibraryEmbedding extends PromptEmbedding {
  readonly path: string;
  /** [vectorCount, shape] row-major: the vectors for the (first) text encoder (SDXL: `clip_l`, 768 wide). */
  readonly vectors: Float32Array;
  /** SDXL embeddings: [vectorCount, 1280] for text_encoder_2 (`clip_g`). */
  readonly vectors2?: Float32Array;
  /** A1111 `Embedding.shape`: the vector width. */
  readonly shape: number;
  readonly step: number | null;
  readonly sd_checkpoint: string | null;
  readonly sd_checkpoint_name: string | null;
  /** sha256 of the file, hex. */
  readonly hash: string;
}

/** An embedding Serena will not load (a pickle), known by name so that prompts naming it are refused. */
export interface RefusedEmbedding {
  readonly name: string;
  readonly path: string;
  readonly reason: string;
}

export interface EmbeddingFolder {
  /** Usable embeddings, by name (A1111 sorts `word_embeddings` by lower-cased name). */
  readonly loaded: ReadonlyMap<string, LibraryEmbedding>;
  /** Embeddings of another width than the model's. */
  readonly skipped: ReadonlyMap<string, LibraryEmbedding>;
  readonly refused: ReadonlyMap<string, RefusedEmbedding>;
  /** Files that could not be read, with why. */
  readonly failed: readonly { readonly path: string; readonly reason: string }[];
  /** Loaded and refused embeddings in registration order (load order; a repeated name moves to the end). */
  readonly registered: readonly (LibraryEmbedding | RefusedEmbedding)[];
}

const IMAGE_EXTENSIONS = new Set([".PNG", ".WEBP", ".JXL", ".AVIF"]);
/** Embedding images are small; a larger "image" is a picture, not read whole. */
const MAX_IMAGE_BYTES = 32 * 2 ** 20;

type FileResult =
  | { kind: "embedding"; embedding: LibraryEmbedding }
  | { kind: "refused"; refused: RefusedEmbedding }
  | { kind: "failed"; reason: string }
  | { kind: "ignored" };

async function readFile(path: string): Promise<FileResult> {
  const file = basename(path);
  const extension = extname(file).toUpperCase();
  let name = file.slice(0, file.length - extension.length);
  let data;
  if (IMAGE_EXTENSIONS.has(extension)) {
    if (extname(name).toUpperCase() === ".PREVIEW" || extension !== ".PNG") return { kind: "ignored" };
    if ((await stat(path)).size > MAX_IMAGE_BYTES) return { kind: "ignored" };
    const text = await readPngEmbeddingText(path);
    if (text === null) return { kind: "ignored" };
    data = embeddingFromB64(text, path);
    name = data.name ?? name;
  } else if (extension === ".PT" || extension === ".BIN") {
    try {
      await (await SafetensorsFile.open(path)).close();
    } catch (error) {
      if (error instanceof NetworkFileError && error.kind === "pickle") {
        return { kind: "refused", refused: { name, path, reason: `${error.message.slice(path.length + 2)}` } };
      }
    }
    return { kind: "failed", reason: "A1111 reads .pt and .bin embeddings with torch.load; this file is not a torch pickle" };
  } else if (extension === ".SAFETENSORS") {
    data = await readEmbeddingFile(path);
  } else {
    return { kind: "ignored" };
  }
  if (data.vectorCount > CHUNK_LENGTH) {
    return { kind: "failed", reason: `has ${data.vectorCount} vectors; a prompt chunk holds ${CHUNK_LENGTH} tokens` };
  }
  const vectors = data.vectors.text_encoder;
  return {
    kind: "embedding",
    embedding: {
      name,
      path,
      vectors: vectors.data,
      ...(data.vectors.text_encoder_2 === undefined ? {} : { vectors2: data.vectors.text_encoder_2.data }),
      vectorCount: data.vectorCount,
      shape: data.shape,
      step: data.step,
      sd_checkpoint: data.sd_checkpoint,
      sd_checkpoint_name: data.sd_checkpoint_name,
      hash: await embeddingHash(path),
    },
  };
}

/** Reads every embedding under `dir`; `expectedShape` is the text encoder's width (null: keep every width). */
export async function readEmbeddingFolder(dir: string, expectedShape: number | null): Promise<EmbeddingFolder> {
  const loaded = new Map<string, LibraryEmbedding>();
  const skipped = new Map<string, LibraryEmbedding>();
  const refused = new Map<string, RefusedEmbedding>();
  const failed: { path: string; reason: string }[] = [];
  const registered = new Map<string, LibraryEmbedding | RefusedEmbedding>();
  const register = (entry: LibraryEmbedding | RefusedEmbedding) => {
    // register_embedding_by_name: the old entry of that name leaves the lookup, the new one joins at the end.
    registered.delete(entry.name);
    registered.set(entry.name, entry);
  };
  for (const path of await walkFolder(dir)) {
    let result: FileResult;
    try {
      if ((await stat(path)).size === 0) continue;
      result = await readFile(path);
    } catch (error) {
      result = { kind: "failed", reason: error instanceof NetworkFileError ? error.message.slice(path.length + 2) : String((error as Error).message ?? error) };
    }
    if (result.kind === "embedding") {
      const { embedding } = result;
      if (expectedShape === null || embedding.shape === expectedShape) {
        loaded.set(embedding.name, embedding);
        refused.delete(embedding.name);
        register(embedding);
      } else {
        skipped.set(embedding.name, embedding);
      }
    } else if (result.kind === "refused") {
      refused.set(result.refused.name, result.refused);
      loaded.delete(result.refused.name);
      register(result.refused);
    } else if (result.kind === "failed") {
      failed.push({ path, reason: result.reason });
    }
  }
  const byName = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);
  return {
    loaded: new Map([...loaded].sort(([a], [b]) => byName(a, b))),
    skipped,
    refused,
    failed,
    registered: [...registered.values()],
  };
}

const isRefused = (entry: LibraryEmbedding | RefusedEmbedding): entry is RefusedEmbedding => "reason" in entry;

/** The matcher over registered embeddings: name token ids → entries, tried longest first. */
export function embeddingMatcher(folder: EmbeddingFolder, tokenizer: ClipTokenizer): EmbeddingMatcher | null {
  const lookup = new Map<number, { ids: number[]; entry: LibraryEmbedding | RefusedEmbedding }[]>();
  for (const entry of folder.registered) {
    const ids = tokenizer.encode(entry.name);
    if (ids.length === 0) continue;
    const list = lookup.get(ids[0]!) ?? [];
    list.push({ ids, entry });
    lookup.set(ids[0]!, list);
  }
  if (lookup.size === 0) return null;
  for (const list of lookup.values()) list.sort((a, b) => b.ids.length - a.ids.length);
  return {
    find(tokens, position) {
      for (const { ids, entry } of lookup.get(tokens[position]!) ?? []) {
        if (ids.every((id, k) => tokens[position + k] === id)) {
          if (isRefused(entry)) {
            throw new NetworkFileError(entry.path, "pickle", `textual-inversion embedding "${entry.name}" ${entry.reason}`);
          }
          return { embedding: entry, length: ids.length };
        }
      }
      return null;
    },
  };
}

/**
 * A model's embedding folder, loaded lazily and reloaded when it changes. `expectedShape` is the model's text width.
 */
export class EmbeddingLibrary {
  readonly dir: string | null;
  readonly #expectedShape: number;
  readonly #tokenizer: ClipTokenizer;
  #folder: EmbeddingFolder | null = null;
  #matcher: EmbeddingMatcher | null = null;
  #mtime: number | null = null;

  constructor(dir: string | null, expectedShape: number, tokenizer: ClipTokenizer) {
    this.dir = dir;
    this.#expectedShape = expectedShape;
    this.#tokenizer = tokenizer;
  }

  /** Loads the folder the first time, again when its modification time changed, and always when `force`. */
  async refresh(force = false): Promise<EmbeddingFolder> {
    const empty: EmbeddingFolder = { loaded: new Map(), skipped: new Map(), refused: new Map(), failed: [], registered: [] };
    if (this.dir === null) return (this.#folder ??= empty);
    const mtime = await stat(this.dir).then((s) => (s.isDirectory() ? s.mtimeMs : null), () => null);
    if (mtime === null) {
      this.#folder = empty;
      this.#matcher = null;
      this.#mtime = null;
      return empty;
    }
    if (force || this.#folder === null || this.#mtime === null || mtime > this.#mtime) {
      this.#folder = await readEmbeddingFolder(this.dir, this.#expectedShape);
      this.#matcher = embeddingMatcher(this.#folder, this.#tokenizer);
      this.#mtime = mtime;
    }
    return this.#folder!;
  }

  /** The matcher for prompts, after {@link refresh}; null without embeddings. */
  get matcher(): EmbeddingMatcher | null {
    return this.#matcher;
  }
}
