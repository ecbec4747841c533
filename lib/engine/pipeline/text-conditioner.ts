/**
 * Prompt text → text-encoder embeddings the way A1111 builds them (modules/sd_hijack_clip.py, sd_emphasis.py):
 * texts encoded together are chunked to 77 tokens, padded to the same chunk count with empty chunks, encoded one
 * chunk index at a time across the batch, weighted per token, and concatenated along the token axis.
 *
 * Textual-inversion embeddings found in the prompts (lib/engine/networks/embedding-library.ts) take their token
 * positions in the chunks; the text encoder used for the batch has their vectors as extra rows of its token table
 * (a derived model, cached per set of embeddings), and those positions get the rows' ids. A1111 puts the vectors in
 * place of the token embeddings at those positions (sd_hijack.py `EmbeddingsWithFixes`): the same values, before the
 * position embeddings are added.
 */
import type { AddedCondition, AppliedLora, DiffusionModel } from "../model/index.ts";
import { loraApplications } from "../model/lora-patch.ts";
import { PlanError } from "../errors.ts";
import type { LoraSpec } from "../plan.ts";
import { EmbeddingLibrary, type LibraryEmbedding } from "../networks/embedding-library.ts";
import { NetworkFileError } from "../networks/network-file-error.ts";
import { CHUNK_TOKENS, emptyChunk, tokenizePrompt, type EmphasisMode, type PromptChunk } from "../prompts/chunks.ts";
import type { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { chunkBatch, embeddingRows } from "./embedding-rows.ts";
import { DEFAULT_SDXL_TEXT_OPTIONS, encodeSdxlTexts, type ConditioningTarget, type SdxlEncoderInput, type SdxlTextOptions } from "./sdxl-conditioner.ts";

export interface TextEmbedding {
  /** [tokens, hidden] values, row-major. */
  readonly context: Float32Array;
  /** 77 × chunks. */
  readonly tokens: number;
  /** SDXL: the UNet's `text_embeds` [1, P] and `time_ids` [1, n] for this text (sdxl-conditioner.ts); absent otherwise. */
  readonly added?: AddedCondition | null;
}

export interface ConditionerOptions {
  readonly emphasis: EmphasisMode;
  readonly commaPaddingBacktrack: number;
  /**
   * A1111 `CLIP_stop_at_last_layers` (default 1). SD 1.x encodes with `final_layer_norm(hidden_states[-n])`
   * (modules/sd_hijack_clip.py `FrozenCLIPEmbedderWithCustomWords.encode_with_transformers`); A1111's OpenCLIP
   * encoder for SD 2.x ignores the setting (sd_hijack_open_clip.py `encode_with_transformers` calls the wrapped
   * encoder unchanged: its export already stops at the penultimate layer), and so does Serena there.
   */
  readonly clipSkip?: number;
  /** LoRAs merged into the text encoder, at their text-encoder multipliers. */
  readonly loras?: readonly AppliedLora[];
  /** SDXL's crop and aesthetic-score options (sdxl-conditioner.ts); A1111's defaults when absent. */
  readonly sdxl?: SdxlTextOptions;
}

/** An embedding a text-encoder call used: its name and file hash (for A1111's `TI hashes`). */
export interface UsedEmbedding {
  readonly name: string;
  readonly hash: string;
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
}

/**
 * Emphasis on one chunk index's output z [T, 77, D] (A1111 `EmphasisOriginal.after_transformers`): multiply each
 * token's vector by its weight, then ("Original") rescale so the mean over the whole batch tensor is unchanged.
 */
export function applyEmphasis(z: Float32Array, weights: Float32Array, hidden: number, mode: EmphasisMode): void {
  if (mode === "Ignore" || mode === "None") return;
  const before = mode === "Original" ? mean(z) : 0;
  for (let token = 0; token < weights.length; token++) {
    const w = weights[token]!;
    if (w === 1) continue;
    const row = z.subarray(token * hidden, (token + 1) * hidden);
    for (let k = 0; k < hidden; k++) row[k]! *= w;
  }
  if (mode !== "Original") return;
  const after = mean(z);
  if (after === 0 || before === after) return;
  const scale = before / after;
  for (let i = 0; i < z.length; i++) z[i]! *= scale;
}

/** One embedding library per loaded model and folder: the folder is read once and reloaded when it changes. */
const libraries = new WeakMap<DiffusionModel, EmbeddingLibrary>();

/** The textual-inversion library of `model` (its `embeddingsDir`), created on first use. */
export function embeddingLibraryFor(model: DiffusionModel, tokenizer: ClipTokenizer): EmbeddingLibrary {
  let library = libraries.get(model);
  if (library === undefined) {
    library = new EmbeddingLibrary(model.embeddingsDir, model.facts.textHiddenSize, tokenizer);
    libraries.set(model, library);
  }
  return library;
}

export class TextConditioner {
  readonly #model: DiffusionModel;
  readonly #tokenizer: ClipTokenizer;
  readonly #options: ConditionerOptions;
  readonly #library: EmbeddingLibrary;
  #refreshed: Promise<unknown> | null = null;
  /** The embeddings each encode call used, in call order. */
  readonly #calls: UsedEmbedding[][] = [];
  readonly #tokenizer2: ClipTokenizer | null;

  /** `tokenizer2`: SDXL's tokenizer_2 (text_encoder_2's); `tokenizer` is then text_encoder's, or tokenizer_2 in a refiner. */
  constructor(model: DiffusionModel, tokenizer: ClipTokenizer, options: ConditionerOptions, tokenizer2: ClipTokenizer | null = null) {
    this.#model = model;
    this.#tokenizer = tokenizer;
    this.#options = options;
    this.#library = embeddingLibraryFor(model, tokenizer);
    this.#tokenizer2 = tokenizer2;
  }

  /** Whether the model is SDXL (its conditioning carries pooled text and time ids). */
  get isSdxl(): boolean {
    return this.#model.facts.sdxl !== null;
  }

  /** SDXL's encoders in context order, each with its own tokenizer. */
  get #sdxlEncoders(): SdxlEncoderInput[] {
    const second: SdxlEncoderInput = { encoder: "text_encoder_2", tokenizer: this.#tokenizer2 ?? this.#tokenizer };
    return this.#model.facts.sdxl?.encoderWidths.length === 2 ? [{ encoder: "text_encoder", tokenizer: this.#tokenizer }, second] : [second];
  }

  get #clipSkip(): number {
    return this.#model.facts.family === "sd1" ? (this.#options.clipSkip ?? 1) : 1;
  }

  /** The embeddings each text-encoder call used so far, in call order (A1111 writes `TI hashes` from them). */
  get embeddingCalls(): readonly (readonly UsedEmbedding[])[] {
    return this.#calls;
  }

  #tokenize(text: string) {
    try {
      return tokenizePrompt(text, this.#tokenizer, {
        emphasis: this.#options.emphasis,
        commaPaddingBacktrack: this.#options.commaPaddingBacktrack,
        embeddings: this.#library.matcher,
      });
    } catch (error) {
      if (error instanceof NetworkFileError) throw new PlanError("text.embeddings", error.message, { cause: error });
      throw error;
    }
  }

  /**
   * Encodes texts as one batch, as A1111's `get_learned_conditioning` does; every result has the same length. SDXL
   * models also need the `target` (the pass's size, and whether these are negative prompts) for their time ids.
   */
  async encode(texts: readonly string[], target: ConditioningTarget = { width: 1024, height: 1024, negative: false }): Promise<TextEmbedding[]> {
    // A1111 reloads the embeddings folder when it changed, once per generation (processing.py `process_images_inner`).
    this.#refreshed ??= this.#library.refresh();
    await this.#refreshed;
    if (this.#model.facts.sdxl !== null) {
      try {
        return await encodeSdxlTexts(this.#model, this.#sdxlEncoders, texts, target, {
          emphasis: this.#options.emphasis,
          commaPaddingBacktrack: this.#options.commaPaddingBacktrack,
          sdxl: this.#options.sdxl ?? DEFAULT_SDXL_TEXT_OPTIONS,
          loras: this.#options.loras ?? [],
          embeddings: {
            matcher: this.#library.matcher,
            onUsed: (used) => this.#calls.push(used.map((e) => ({ name: e.name, hash: e.hash }))),
          },
        });
      } catch (error) {
        if (error instanceof NetworkFileError) throw new PlanError("text.embeddings", error.message, { cause: error });
        throw error;
      }
    }
    const hidden = this.#model.facts.textHiddenSize;
    const tokenized = texts.map((t) => this.#tokenize(t));
    const chunkCount = Math.max(1, ...tokenized.map((t) => t.chunks.length));
    // A1111 `forward`: embeddings in the order met, chunk by chunk across the batch.
    const used = new Map<string, LibraryEmbedding>();
    for (let c = 0; c < chunkCount; c++) {
      for (const t of tokenized) for (const fix of t.chunks[c]?.fixes ?? []) used.set(fix.embedding.name, fix.embedding as LibraryEmbedding);
    }
    this.#calls.push([...used.values()].map((e) => ({ name: e.name, hash: e.hash })));
    const table =
      used.size > 0
        ? embeddingRows([...used.values()], hidden, (e) => e.vectors, (e) => `embedding ${e.name} has vectors of width ${e.shape}; the text encoder's is ${hidden}`)
        : null;
    const spec = { clipSkip: this.#clipSkip, tokenRows: table?.rows ?? null, loras: this.#options.loras ?? [] };

    const empty = emptyChunk(this.#tokenizer);
    const perChunk: Float32Array[] = [];
    for (let c = 0; c < chunkCount; c++) {
      const chunks: PromptChunk[] = tokenized.map((t) => t.chunks[c] ?? empty);
      const { ids, weights } = chunkBatch(chunks, table);
      const z = await this.#model.encodeText(ids, texts.length, spec);
      applyEmphasis(z, weights, hidden, this.#options.emphasis);
      perChunk.push(z);
    }
    const tokens = chunkCount * CHUNK_TOKENS;
    const rowSize = CHUNK_TOKENS * hidden;
    return texts.map((_, i) => {
      const context = new Float32Array(tokens * hidden);
      perChunk.forEach((z, c) => context.set(z.subarray(i * rowSize, (i + 1) * rowSize), c * rowSize));
      return { context, tokens };
    });
  }
}

/** What one sampling pass runs with: its text conditioner and its UNet, with the pass's LoRAs merged into both. */
export interface PassModels {
  readonly conditioner: TextConditioner;
  readonly unet: DiffusionModel;
}

/** Whether two passes name the same LoRAs at the same multipliers (then they share their models). */
export function sameLoras(a: readonly LoraSpec[] = [], b: readonly LoraSpec[] = []): boolean {
  const key = (specs: readonly LoraSpec[]) => JSON.stringify(specs.map((s) => [s.path, s.te, s.unet, s.dynDim]));
  return key(a) === key(b);
}

/**
 * The conditioner and UNet for a pass with `loras` (A1111 networks.py `load_networks`: the text encoder at each
 * LoRA's te multiplier, the UNet at its unet multiplier). Derived models are cached (load-model.ts), so a pass with
 * the LoRAs of an earlier one costs nothing; a LoRA file that cannot be read is a PlanError for "networks".
 */
export async function passModels(
  model: DiffusionModel,
  tokenizer: ClipTokenizer,
  options: ConditionerOptions,
  loras: readonly LoraSpec[] = [],
  tokenizer2: ClipTokenizer | null = null,
): Promise<PassModels> {
  try {
    const applied = await loraApplications(loras);
    const unet = await model.withUnetLoras(applied.unet);
    return { conditioner: new TextConditioner(model, tokenizer, { ...options, loras: applied.te }, tokenizer2), unet };
  } catch (error) {
    if (error instanceof NetworkFileError) throw new PlanError("networks", error.message, { cause: error });
    throw error;
  }
}
