import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import * as z from "zod";
import { cleanClipText, type ClipTextCleanup } from "./clip-text.ts";
import { fixText } from "./fix-text.ts";

/** The CLIP BPE tokenizer as the prompt chunker needs it (A1111 `sd_hijack_clip.py`: id_start, id_end, id_pad). */
export interface ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  /** SD 1.x pads with `<|endoftext|>` (= eosId); SD 2.x and SDXL's second tokenizer pad with "!" (0). */
  readonly padId: number;
  /** Id of `,</w>`, or undefined when the vocabulary has none (A1111 `comma_token`). */
  readonly commaId: number | undefined;
  /** Token ids of `text` after CLIP's clean-up, without BOS/EOS and without truncation. */
  encode(text: string): number[];
}

/** The contents of a model folder's `tokenizer/` files (Hugging Face `CLIPTokenizer` format). */
export interface ClipTokenizerFiles {
  /** Parsed `vocab.json`. */
  readonly vocab: unknown;
  /** Text of `merges.txt`. */
  readonly merges: string;
  /** Parsed `tokenizer_config.json`, if present. */
  readonly tokenizerConfig?: unknown;
  /** Parsed `special_tokens_map.json`, if present. */
  readonly specialTokensMap?: unknown;
  /**
   * The clean-up A1111's tokenizer for this encoder runs. Default: "open_clip" when the pad token is "!" (the
   * open_clip vocabularies of SD 2.x and SDXL's second encoder, which A1111 tokenizes with open_clip), else
   * "transformers" (SD 1.x, SDXL's first encoder).
   */
  readonly cleanup?: ClipTextCleanup;
}

const vocabSchema = z.record(z.string(), z.number().int().nonnegative());

/** Token fields are written either as strings or as `{"__type": "AddedToken", "content": …}` objects. */
const specialToken = z.union([z.string(), z.object({ content: z.string() }).transform((token) => token.content)]);

const specialTokenFields = z.object({
  bos_token: specialToken.nullish(),
  eos_token: specialToken.nullish(),
  pad_token: specialToken.nullish(),
  unk_token: specialToken.nullish(),
});

interface SpecialTokens {
  readonly bos: string;
  readonly eos: string;
  readonly pad: string;
  readonly unk: string;
}

/** `tokenizer_config.json` wins over `special_tokens_map.json`; CLIP's own names fill what neither file gives. */
function readSpecialTokens(files: ClipTokenizerFiles): SpecialTokens {
  const config = specialTokenFields.parse(files.tokenizerConfig ?? {});
  const map = specialTokenFields.parse(files.specialTokensMap ?? {});
  const bos = config.bos_token ?? map.bos_token ?? "<|startoftext|>";
  const eos = config.eos_token ?? map.eos_token ?? "<|endoftext|>";
  return {
    bos,
    eos,
    pad: config.pad_token ?? map.pad_token ?? eos,
    unk: config.unk_token ?? map.unk_token ?? eos,
  };
}

/** merges.txt: a `#version` header line, then one space-separated pair per line. */
function readMerges(text: string): string[] {
  return text.split("\n").filter((line, i) => line.length > 0 && !(i === 0 && line.startsWith("#version")));
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
}

function tokenId(vocab: Readonly<Record<string, number>>, token: string, role: string): number {
  const id = vocab[token];
  if (id === undefined) throw new Error(`CLIP tokenizer: the ${role} token ${JSON.stringify(token)} is not in vocab.json`);
  return id;
}

/**
 * A `tokenizer.json`-shaped object for vocab.json + merges.txt, modelled on Hugging Face's CLIPTokenizerFast
 * (transformers `convert_slow_tokenizer.CLIPConverter`; docs/engine-reference.md §6.4): NFC + whitespace + lower-case
 * normalizer, CLIP's pre-tokenizer regex (single digits are separate pieces), byte-level alphabet, BPE with `</w>`.
 */
function clipTokenizerJson(
  vocab: Record<string, number>,
  merges: string[],
  specials: SpecialTokens,
  ids: { bos: number; eos: number },
): object {
  const specialPattern = [specials.bos, specials.eos].map(escapeRegExp).join("|");
  const addedToken = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [addedToken(ids.bos, specials.bos), addedToken(ids.eos, specials.eos)],
    normalizer: {
      type: "Sequence",
      normalizers: [{ type: "NFC" }, { type: "Replace", pattern: { Regex: "\\s+" }, content: " " }, { type: "Lowercase" }],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        {
          type: "Split",
          pattern: { Regex: `${specialPattern}|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+` },
          behavior: "Removed",
          invert: true,
        },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [specials.eos, ids.eos],
      cls: [specials.bos, ids.bos],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: specials.unk,
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

/** Builds the CLIP tokenizer from the contents of a `tokenizer/` folder. */
export function createClipTokenizer(files: ClipTokenizerFiles): ClipTokenizer {
  const vocab = vocabSchema.parse(files.vocab);
  const specials = readSpecialTokens(files);
  const bosId = tokenId(vocab, specials.bos, "bos");
  const eosId = tokenId(vocab, specials.eos, "eos");
  const padId = tokenId(vocab, specials.pad, "pad");
  // Checked here because the BPE model would otherwise map unknown pieces to an undefined id.
  tokenId(vocab, specials.unk, "unk");
  const cleanup = files.cleanup ?? (specials.pad === "!" ? "open_clip" : "transformers");
  const json = clipTokenizerJson(vocab, readMerges(files.merges), specials, { bos: bosId, eos: eosId });
  const tokenizer = new Tokenizer(json, {
    bos_token: specials.bos,
    eos_token: specials.eos,
    pad_token: specials.pad,
    unk_token: specials.unk,
  });
  return {
    bosId,
    eosId,
    padId,
    commaId: vocab[",</w>"],
    encode: (text) => {
      const cleaned = cleanClipText(fixText(text), cleanup);
      return cleaned.length === 0 ? [] : tokenizer.encode(cleaned, { add_special_tokens: false }).ids;
    },
  };
}

async function readOptionalJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Loads the CLIP tokenizer from a diffusers model folder's `tokenizer/` directory. */
export async function loadClipTokenizer(directory: string): Promise<ClipTokenizer> {
  const [vocab, merges, tokenizerConfig, specialTokensMap] = await Promise.all([
    readFile(join(directory, "vocab.json"), "utf8").then((text) => JSON.parse(text) as unknown),
    readFile(join(directory, "merges.txt"), "utf8"),
    readOptionalJson(join(directory, "tokenizer_config.json")),
    readOptionalJson(join(directory, "special_tokens_map.json")),
  ]);
  return createClipTokenizer({ vocab, merges, tokenizerConfig, specialTokensMap });
}
