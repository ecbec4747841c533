import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { InferenceSession } from "onnxruntime-node";
import type { Tensor } from "onnxruntime-node";
import { PlanError } from "../errors.ts";
import type { ClipSkipSupport } from "../plan.ts";
import {
  readTextEncoderIo,
  readUnetIo,
  readVaeDecoderIo,
  readVaeEncoderIo,
  timestepTensor,
  tokenIdsTensor,
} from "./component-io.ts";
import { checkExternalData } from "./external-data.ts";
import { addHiddenStateOutputs, hiddenStateOutput } from "./graph/hidden-state-outputs.ts";
import { poolAtTableIds } from "./graph/pooling-ids.ts";
import { addClipSkipOutputs, appendTokenRows, clipSkipOutput, GraphStructureError } from "./graph/text-encoder-edits.ts";
import { applyLoras, loraKey, unappliedLoraFiles, type AppliedLora, type LoraPatchReport } from "./lora-patch.ts";
import { fileSha256, shortHash } from "./file-hash.ts";
import { modelFacts } from "./model-facts.ts";
import type { ComponentIos, ModelFacts } from "./model-facts.ts";
import { readModelFolder } from "./model-folder.ts";
import { ModelLoadError } from "./model-load-error.ts";
import { floatTensor, floatValues, product } from "./tensor-io.ts";
import { VariantCache } from "./variant-cache.ts";

/** NCHW shapes. */
export type Shape4 = readonly [number, number, number, number];
export type Shape3 = readonly [number, number, number];

export interface LoadModelOptions {
  /** onnxruntime's intra-op thread count (0 or absent: its default). Benchmark: more is not always faster. */
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  /**
   * Whether onnxruntime's idle intra-op threads spin waiting for work (its default). Spinning threads compete for
   * the cores a server's main thread needs to answer requests during a generation, so servers turn it off.
   */
  readonly allowSpinning?: boolean;
  /** Default ["cpu"]. */
  readonly executionProviders?: InferenceSession.SessionOptions["executionProviders"];
  /**
   * Where derived models are written (clip skip outputs, textual-inversion rows, LoRA-patched weights; graph/derive.ts).
   * Default `$TMPDIR/serena-cache`, as SERENA_CACHE_DIR.
   */
  readonly cacheDir?: string;
  /** Derived UNet sessions kept open (each holds as much memory as the base UNet). Default 1. */
  readonly maxUnetVariants?: number;
  /** Derived text-encoder sessions kept open. Default 4. */
  readonly maxTextEncoderVariants?: number;
  /**
   * Where clip skip finds the hidden states: "auto" uses `hidden_states.N` outputs when the export has them and walks
   * the residual stream otherwise; "residual-stream" always walks it (tests compare the two).
   */
  readonly clipSkipSource?: "auto" | "residual-stream";
  /** A folder of textual-inversion embeddings (A1111 `--embeddings-dir`); none when absent. */
  readonly embeddingsDir?: string | null;
}

/**
 * Token ids at or above this stand for the rows of {@link TextEncoderSpec.tokenRows}: id EXTRA_TOKEN_ID_BASE + k is row
 * k, whatever the vocabulary size of the export.
 */
export const EXTRA_TOKEN_ID_BASE = 2 ** 30;

/** Rows appended to the token-embedding table, [count, hidden] row-major; equal keys must mean equal rows. */
export interface TokenRows {
  readonly key: string;
  readonly rows: Float32Array;
  readonly count: number;
}

/** How a text encoding is made, beyond the export itself. */
export interface TextEncoderSpec {
  /** A1111 `CLIP_stop_at_last_layers`: 1 is the last layer; n > 1 is `final_layer_norm(hidden_states[-n])`. */
  readonly clipSkip?: number;
  readonly tokenRows?: TokenRows | null;
  /** LoRAs merged into the text encoder, at their text-encoder multipliers. */
  readonly loras?: readonly AppliedLora[];
}

/**
 * What the VAE encoder returns, latent shape [B,4,h,w], unscaled (multiply by vaeScalingFactor):
 * the posterior mean and log-variance (`latent_parameters` exports), or the sample the export drew itself
 * (`latent_sample` exports).
 */
export type LatentEncoding =
  | { readonly kind: "parameters"; readonly mean: Float32Array; readonly logvar: Float32Array; readonly shape: Shape4 }
  | { readonly kind: "sample"; readonly sample: Float32Array; readonly shape: Shape4 };

/** SDXL's added conditioning for one UNet call, one row per sample (facts.sdxl has the widths). */
export interface AddedCondition {
  /** text_encoder_2's pooled output, [B, pooledWidth]. */
  readonly textEmbeds: Float32Array;
  /** [B, 6] (original h, w, crop top, left, target h, w) or [B, 5] (original h, w, crop top, left, aesthetic score). */
  readonly timeIds: Float32Array;
}

/** How one SDXL text encoder encodes, beyond the export itself. */
export interface SdxlTextSpec {
  /** Which hidden state, counted from the end: 2 (the default) is the penultimate layer's output. */
  readonly fromEnd?: number;
  readonly loras?: readonly AppliedLora[];
  readonly tokenRows?: TokenRows | null;
}

/** One SDXL text encoder's encoding of a batch. */
export interface SdxlTextEncoding {
  /** The penultimate layer's output, hidden_states[N − 1] without the final layer norm, [batch, L, D]. */
  readonly hidden: Float32Array;
  /** text_encoder_2's pooled output ([batch, P], `text_embeds`); null for text_encoder. */
  readonly pooled: Float32Array | null;
}

export interface DiffusionModel {
  readonly facts: ModelFacts;
  /** The textual-inversion embeddings folder this model was loaded with, or null. */
  readonly embeddingsDir: string | null;
  /**
   * SDXL (facts.sdxl): token ids [batch, L] through one of the two text encoders (`fromEnd` 2 unless A1111's
   * sdxl_clip_l_skip asks for `hidden_states[-CLIP_stop_at_last_layers]` from text_encoder; `spec.loras` merged into
   * the encoder at their text-encoder multipliers, kohya's `lora_te1_`/`lora_te2_` modules by encoder; `spec.tokenRows`
   * textual-inversion rows for ids ≥ EXTRA_TOKEN_ID_BASE, as encodeText's), as A1111's SDXL embedders read
   * them (modules/sd_hijack_clip.py `FrozenCLIPEmbedderForSDXLWithCustomWords`: `hidden_states[-2]`, layer
   * "hidden" with layer_idx −2; sd_hijack_open_clip.py `FrozenOpenCLIPEmbedder2WithCustomWords`: layer
   * "penultimate" and the pooled output): neither passes through the final layer norm.
   */
  encodeSdxlText(encoder: "text_encoder" | "text_encoder_2", ids: Int32Array, batch: number, spec?: SdxlTextSpec): Promise<SdxlTextEncoding>;
  /**
   * Token ids [batch, L] (L = ids.length / batch, 77 per chunk) → last_hidden_state [batch, L, D], or with `spec`
   * the encoding clip skip, textual-inversion rows and LoRAs call for (from a derived text encoder, cached).
   */
  encodeText(ids: Int32Array, batch: number, spec?: TextEncoderSpec): Promise<Float32Array>;
  /**
   * The deepest clip skip {@link encodeText} serves (`max` 1 when the text encoder has no structure to take it from),
   * found by deriving the clip-skip text encoder that encodings with clip skip then use; asked once per model.
   */
  clipSkipSupport(): Promise<ClipSkipSupport & { readonly max: number }>;
  /**
   * This model with `loras` merged into its UNet at their UNet multipliers (a derived UNet, cached); the model itself
   * when none has a multiplier other than 0. The result shares this model's sessions: release this one only.
   */
  withUnetLoras(loras: readonly AppliedLora[]): Promise<DiffusionModel>;
  /**
   * One UNet call: sample [B,C,h,w], timestep t (fractional allowed; rounded for int64 exports), context [B,S,D]
   * with any S → the raw UNet output (ε or v, per facts.predictionType), [B,C,h,w].
   */
  predictNoise(
    sample: Float32Array,
    shape: Shape4,
    timestep: number,
    context: Float32Array,
    contextShape: Shape3,
    added?: AddedCondition,
  ): Promise<Float32Array>;
  /** Latents [B,4,h,w], already divided by vaeScalingFactor → pixels [B,3,8h,8w], roughly in [−1, 1]. */
  decodeLatents(latents: Float32Array, shape: Shape4): Promise<Float32Array>;
  /** Pixels [B,3,H,W] in [−1, 1] → latents at H/8 × W/8. Rejects when the folder has no VAE encoder. */
  encodeImage(pixels: Float32Array, shape: Shape4): Promise<LatentEncoding>;
  /**
   * Opens the VAE's sessions again and releases the old ones with the working memory onnxruntime's arena kept for
   * the largest image they decoded or encoded (a VAE's full-resolution activations are a model's largest buffers:
   * 451 MB for `sd15-mid`'s decoder after a 768×512 image). Reopening costs a fraction of a model load; the next
   * decode allocates its buffers afresh. Every view of the model sees the new sessions. Not while the VAE runs.
   */
  reopenVae(): Promise<void>;
  release(): Promise<void>;
}

interface Sessions {
  /** null in an SDXL refiner folder. */
  readonly textEncoder: InferenceSession | null;
  readonly textEncoder2: InferenceSession | null;
  readonly unet: InferenceSession;
  /** Replaced by {@link DiffusionModel.reopenVae}. */
  vaeDecoder: InferenceSession;
  vaeEncoder: InferenceSession | null;
}

function checkLength(values: Float32Array | Int32Array, dims: readonly number[], what: string): void {
  if (values.length !== product(dims)) {
    throw new RangeError(`${what} has ${values.length} values but shape [${dims.join(", ")}] needs ${product(dims)}`);
  }
}

interface TextVariantInfo {
  /** The export's vocabulary size, when token rows were appended. */
  readonly vocabSize: number | null;
  /** The largest clip skip the variant serves (1 without clip skip outputs). */
  readonly maxClipSkip: number;
  readonly layers: number | null;
  /** What merging the LoRAs found, when there were any. */
  readonly loras?: LoraPatchReport | null;
}

/** A PlanError for "networks" when a LoRA file has modules for `component` and none fits it (lora-patch.ts). */
function checkLorasApplied(report: LoraPatchReport | null | undefined, component: string, model: string): void {
  if (!report) return;
  const files = unappliedLoraFiles(report);
  if (files.length === 0) return;
  const names = files.map((file) => basename(file)).join(", ");
  throw new PlanError(
    "networks",
    `LoRA ${names}: none of its ${component} modules fits a layer of ${model}'s ${component} (a LoRA for another model family?)`,
  );
}

/** What every view of one loaded model shares: the base sessions, IO, and the derived sessions. */
interface SharedModel {
  readonly sessions: Sessions;
  /** Where the VAE's sessions come from, to open them again. */
  readonly vaePaths: readonly [decoder: string, encoder: string | null];
  readonly io: ComponentIos;
  readonly options: LoadModelOptions;
  readonly textVariants: VariantCache<TextVariantInfo>;
  /** SDXL base models: derived text_encoder_2 sessions (LoRAs); a refiner's text_encoder_2 uses textVariants. */
  readonly text2Variants: VariantCache<TextVariantInfo> | null;
  readonly unetVariants: VariantCache<unknown>;
  /** What {@link DiffusionModel.clipSkipSupport} found, once found. */
  clipSkip?: ClipSkipSupport & { readonly max: number };
}

class OnnxDiffusionModel implements DiffusionModel {
  readonly facts: ModelFacts;
  readonly embeddingsDir: string | null;
  readonly #shared: SharedModel;
  readonly #io: ComponentIos;
  readonly #unet: InferenceSession;
  /** Views with LoRA UNets do not own the sessions. */
  readonly #owner: boolean;

  constructor(facts: ModelFacts, shared: SharedModel, unet: InferenceSession, owner: boolean) {
    this.facts = facts;
    this.embeddingsDir = shared.options.embeddingsDir ?? null;
    this.#shared = shared;
    this.#io = shared.io;
    this.#unet = unet;
    this.#owner = owner;
  }

  async encodeText(ids: Int32Array, batch: number, spec: TextEncoderSpec = {}): Promise<Float32Array> {
    const length = ids.length / batch;
    if (!Number.isInteger(length) || length === 0) throw new RangeError(`${ids.length} token ids do not split into ${batch} rows`);
    const io = this.#io.textEncoder;
    const clipSkip = spec.clipSkip ?? 1;
    const rows = spec.tokenRows ?? null;
    const loras = (spec.loras ?? []).filter((lora) => lora.multiplier !== 0);
    const session = this.#shared.sessions.textEncoder;
    if (session === null || io === null) throw new Error(`${this.facts.name} has no text_encoder (an SDXL refiner): use encodeSdxlText`);
    if (clipSkip <= 1 && rows === null && loras.length === 0) {
      const result = await session.run({ input_ids: tokenIdsTensor(io.idsType, ids, [batch, length]) }, [io.output]);
      return floatValues(result[io.output]);
    }
    const variant = await this.#textVariant(clipSkip > 1, rows, loras);
    checkLorasApplied(variant.info.loras, "text encoder", this.facts.name);
    if (clipSkip > variant.info.maxClipSkip) {
      throw new PlanError(
        "text.clipSkip",
        `clip skip ${clipSkip} asks for hidden_states[-${clipSkip}], but ${this.facts.name}'s text encoder has ${variant.info.layers} layers (clip skip ${variant.info.maxClipSkip} at most)`,
      );
    }
    let mapped = ids;
    if (rows !== null) {
      const vocab = variant.info.vocabSize!;
      mapped = ids.map((id) => (id >= EXTRA_TOKEN_ID_BASE ? vocab + (id - EXTRA_TOKEN_ID_BASE) : id));
    }
    const output = clipSkip > 1 ? clipSkipOutput(clipSkip) : io.output;
    const result = await variant.session.run({ input_ids: tokenIdsTensor(io.idsType, mapped, [batch, length]) }, [output]);
    return floatValues(result[output]);
  }

  async encodeSdxlText(encoder: "text_encoder" | "text_encoder_2", ids: Int32Array, batch: number, spec: SdxlTextSpec = {}): Promise<SdxlTextEncoding> {
    const fromEnd = spec.fromEnd ?? 2;
    const length = ids.length / batch;
    if (!Number.isInteger(length) || length === 0) throw new RangeError(`${ids.length} token ids do not split into ${batch} rows`);
    const second = encoder === "text_encoder_2";
    const session = second ? this.#shared.sessions.textEncoder2 : this.#shared.sessions.textEncoder;
    const io = second ? this.#io.textEncoder2 : this.#io.textEncoder;
    if (this.facts.sdxl === null || session === null || io === null) throw new Error(`${this.facts.name} has no SDXL ${encoder}`);
    const active = (spec.loras ?? []).filter((lora) => lora.multiplier !== 0);
    const rows = spec.tokenRows ?? null;
    // Exports without hidden_states.N outputs get them from the residual stream, in a derived model.
    const derivedStates = io.hiddenStates.length < 2;
    let run = session;
    let mapped = ids;
    let hiddenStates = io.hiddenStates;
    if (active.length > 0 || rows !== null || derivedStates) {
      const variant = await this.#sdxlTextVariant(encoder, active, rows, derivedStates ? io.output : null);
      run = variant.session;
      const vocab = variant.info.vocabSize;
      if (vocab !== null) mapped = ids.map((id) => (id >= EXTRA_TOKEN_ID_BASE ? vocab + (id - EXTRA_TOKEN_ID_BASE) : id));
      if (derivedStates) hiddenStates = Array.from({ length: variant.info.layers! + 1 }, (_, k) => hiddenStateOutput(k));
    }
    // hidden_states[-fromEnd], by default hidden_states[N − 1]: the output of all layers but the last
    // (hidden_states.0 is the embeddings, hidden_states.N the last layer's output before the final layer norm).
    const penultimate = hiddenStates[hiddenStates.length - fromEnd];
    if (penultimate === undefined || fromEnd < 1) {
      throw new PlanError("text.clipSkip", `clip skip ${fromEnd} asks for hidden_states[-${fromEnd}], but ${this.facts.name}'s ${encoder} has ${hiddenStates.length} hidden states`);
    }
    const pooled = second ? io.pooled : null;
    const outputs = pooled === null ? [penultimate] : [penultimate, pooled];
    const result = await run.run({ input_ids: tokenIdsTensor(io.idsType, mapped, [batch, length]) }, outputs);
    return { hidden: floatValues(result[penultimate]), pooled: pooled === null ? null : floatValues(result[pooled]) };
  }

  /**
   * An SDXL text encoder with LoRAs merged (a derived model, cached). text_encoder_2 is OpenCLIP in A1111, whose
   * fused self-attention takes a layer's q/k/v/out LoRA only when all four are present (lora-format.ts
   * `a1111FusedAttentionFilter`).
   */
  #sdxlTextVariant(encoder: "text_encoder" | "text_encoder_2", loras: readonly AppliedLora[], rows: TokenRows | null, hiddenFrom: string | null) {
    const shared = this.#shared;
    const cache = encoder === "text_encoder" ? shared.textVariants : (shared.text2Variants ?? shared.textVariants);
    const transform = JSON.stringify({ component: encoder, loras: loraKey(loras), rows: rows?.key ?? null, hiddenStates: hiddenFrom !== null });
    const fusedAttention = encoder === "text_encoder_2";
    return cache
      .get(
        transform,
        async (model): Promise<TextVariantInfo> => {
          if (loras.length > 0) await applyLoras(model, encoder, loras, { fusedAttention });
          const vocabSize = rows === null ? null : await appendTokenRows(model, "input_ids", rows.rows, rows.count);
          // text_encoder_2's pooled output is read: it must pool where A1111's encoder does (pooling-ids.ts).
          if (vocabSize !== null) poolAtTableIds(model, "input_ids", vocabSize);
          const layers = hiddenFrom === null ? null : addHiddenStateOutputs(model, hiddenFrom);
          return { vocabSize, maxClipSkip: 1, layers };
        },
        { removeOnEvict: loras.length > 0 },
      )
      .catch((error: unknown) => {
        if (!(error instanceof GraphStructureError)) throw error;
        const what = hiddenFrom !== null ? "give its hidden states (no hidden_states.N outputs)" : "take textual-inversion embeddings";
        throw new PlanError("text.embeddings", `${this.facts.name}'s ${encoder} cannot ${what}: ${error.message}`, { cause: error });
      });
  }

  async clipSkipSupport(): Promise<ClipSkipSupport & { readonly max: number }> {
    if (this.#shared.clipSkip) return this.#shared.clipSkip;
    const name = this.facts.name;
    const support = await this.#textVariant(true, null, []).then(
      ({ info }) => ({ max: info.maxClipSkip, reason: `${name}'s text encoder has ${info.layers} layers (clip skip ${info.maxClipSkip} at most)` }),
      (error: unknown) => {
        if (error instanceof PlanError && error.part === "text.clipSkip") return { max: 1, reason: error.message };
        throw error;
      },
    );
    this.#shared.clipSkip = support;
    return support;
  }

  #textVariant(clipSkip: boolean, rows: TokenRows | null, loras: readonly AppliedLora[]) {
    const source = this.#shared.options.clipSkipSource ?? "auto";
    const fused = this.facts.family === "sd2";
    const transform = JSON.stringify({ component: "text_encoder", clipSkip: clipSkip ? source : null, rows: rows?.key ?? null, loras: loraKey(loras), fused });
    const output = this.#io.textEncoder!.output;
    return this.#shared.textVariants
      .get(
        transform,
        async (model): Promise<TextVariantInfo> => {
          const report = loras.length > 0 ? await applyLoras(model, "text_encoder", loras, { fusedAttention: fused }) : null;
          const vocabSize = rows === null ? null : await appendTokenRows(model, "input_ids", rows.rows, rows.count);
          const skip = clipSkip ? addClipSkipOutputs(model, { outputName: output, useHiddenStateOutputs: source === "auto" }) : null;
          return { vocabSize, maxClipSkip: skip?.maxClipSkip ?? 1, layers: skip?.layers ?? null, loras: report };
        },
        { removeOnEvict: loras.length > 0 },
      )
      .catch((error: unknown) => {
        if (!(error instanceof GraphStructureError)) throw error;
        const part = clipSkip ? "text.clipSkip" : "text.embeddings";
        const what = clipSkip ? "clip skip" : "textual-inversion embeddings";
        throw new PlanError(part, `${this.facts.name}'s text encoder cannot serve ${what}: ${error.message}`, { cause: error });
      });
  }

  async withUnetLoras(loras: readonly AppliedLora[]): Promise<DiffusionModel> {
    const active = loras.filter((lora) => lora.multiplier !== 0);
    if (active.length === 0) return this;
    const transform = JSON.stringify({ component: "unet", loras: loraKey(active) });
    const variant = await this.#shared.unetVariants.get(transform, (model) => applyLoras(model, "unet", active, { fusedAttention: false }), {
      removeOnEvict: true,
    });
    checkLorasApplied(variant.info as LoraPatchReport, "UNet", this.facts.name);
    return new OnnxDiffusionModel(this.facts, this.#shared, variant.session, false);
  }

  async predictNoise(
    sample: Float32Array,
    shape: Shape4,
    timestep: number,
    context: Float32Array,
    contextShape: Shape3,
    added?: AddedCondition,
  ): Promise<Float32Array> {
    checkLength(sample, shape, "sample");
    checkLength(context, contextShape, "context");
    const batch = shape[0];
    if (contextShape[0] !== batch) throw new RangeError(`sample batch ${batch} differs from context batch ${contextShape[0]}`);
    if (this.facts.unetBatch !== "dynamic" && batch !== this.facts.unetBatch) {
      throw new RangeError(`this UNet export takes batches of exactly ${this.facts.unetBatch}, not ${batch}`);
    }
    const io = this.#io.unet;
    const feeds: Record<string, Tensor> = {
      sample: floatTensor(io.floatType, sample, shape),
      timestep: timestepTensor(io.timestep, timestep, batch),
      encoder_hidden_states: floatTensor(io.contextType, context, contextShape),
    };
    const sdxl = this.facts.sdxl;
    if (io.added !== null && sdxl !== null) {
      if (added === undefined) throw new RangeError(`${this.facts.name} is an SDXL UNet: it needs text_embeds and time_ids`);
      const timeIds = sdxl.timeIds === "size" ? 6 : 5;
      checkLength(added.textEmbeds, [batch, sdxl.pooledWidth], "text_embeds");
      checkLength(added.timeIds, [batch, timeIds], "time_ids");
      feeds.text_embeds = floatTensor(io.added.textEmbedsType, added.textEmbeds, [batch, sdxl.pooledWidth]);
      feeds.time_ids = floatTensor(io.added.timeIdsType, added.timeIds, [batch, timeIds]);
    }
    const result = await this.#unet.run(feeds, [io.output]);
    return floatValues(result[io.output]);
  }

  async decodeLatents(latents: Float32Array, shape: Shape4): Promise<Float32Array> {
    checkLength(latents, shape, "latents");
    const io = this.#io.vaeDecoder;
    const run = async (values: Float32Array, dims: Shape4) => {
      const result = await this.#shared.sessions.vaeDecoder.run({ latent_sample: floatTensor(io.floatType, values, dims) }, [io.output]);
      return floatValues(result[io.output]);
    };
    const [batch, channels, height, width] = shape;
    // diffusers' ONNX pipeline decodes one image at a time: half-precision VAE decoders give strange results for
    // batches larger than one (pipeline_onnx_stable_diffusion.py; docs/engine-reference.md §1.2). A1111 decodes one
    // at a time too (processing.py `decode_latent_batch`), and so does Serena at every precision: the decoder's
    // activations at full resolution are its largest buffers, and onnxruntime's arena keeps the peak it reached.
    if (batch === 1) return run(latents, shape);
    const perLatent = channels * height * width;
    const images: Float32Array[] = [];
    for (let i = 0; i < batch; i++) {
      images.push(await run(latents.subarray(i * perLatent, (i + 1) * perLatent), [1, channels, height, width]));
    }
    const out = new Float32Array(images[0].length * batch);
    images.forEach((image, i) => out.set(image, i * image.length));
    return out;
  }

  async encodeImage(pixels: Float32Array, shape: Shape4): Promise<LatentEncoding> {
    checkLength(pixels, shape, "pixels");
    const session = this.#shared.sessions.vaeEncoder;
    const io = this.#io.vaeEncoder;
    if (session === null || io === null) throw new Error(`${this.facts.name} has no VAE encoder (vae_encoder/model.onnx)`);
    const result = (await session.run({ sample: floatTensor(io.floatType, pixels, shape) }, [io.output]))[io.output];
    const [batch, channels, height, width] = result.dims;
    const values = floatValues(result);
    if (io.output === "latent_sample") return { kind: "sample", sample: values, shape: [batch, channels, height, width] };

    const latent = channels / 2;
    const plane = latent * height * width;
    const mean = new Float32Array(batch * plane);
    const logvar = new Float32Array(batch * plane);
    for (let i = 0; i < batch; i++) {
      mean.set(values.subarray(2 * i * plane, (2 * i + 1) * plane), i * plane);
      logvar.set(values.subarray((2 * i + 1) * plane, (2 * i + 2) * plane), i * plane);
    }
    return { kind: "parameters", mean, logvar, shape: [batch, latent, height, width] };
  }

  async reopenVae(): Promise<void> {
    const { sessions, vaePaths, options } = this.#shared;
    // Opened before the old ones close: a model whose files went missing keeps decoding with what it has.
    const [decoder, encoder] = await openSessions(
      vaePaths.filter((path): path is string => path !== null),
      options,
    );
    const old = [sessions.vaeDecoder, sessions.vaeEncoder];
    sessions.vaeDecoder = decoder!;
    sessions.vaeEncoder = encoder ?? null;
    await releaseAll(old);
  }

  async release(): Promise<void> {
    if (!this.#owner) return;
    await Promise.all([this.#shared.textVariants.release(), this.#shared.text2Variants?.release(), this.#shared.unetVariants.release()]);
    await releaseAll(Object.values(this.#shared.sessions));
  }
}

async function releaseAll(sessions: readonly (InferenceSession | null)[]): Promise<void> {
  await Promise.all(sessions.map((session) => session?.release()));
}

/** The options every session of a model is created with (exported for the benchmark's bare-onnxruntime floor). */
export function sessionOptions(options: LoadModelOptions): InferenceSession.SessionOptions {
  return {
    executionProviders: options.executionProviders ?? ["cpu"],
    // Memory patterns pre-plan one block per input shape and keep it: with the sizes a server sees, the CPU arena
    // then holds a block per shape. Without them the arena reuses freed chunks; the UNet and VAE run as fast on the
    // benchmark models and the resident set after a 512² job is about a third lower (docs/engine.md "Benchmark").
    enableMemPattern: false,
    ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
    ...(options.interOpNumThreads === undefined ? {} : { interOpNumThreads: options.interOpNumThreads }),
    ...(options.allowSpinning === false ? { extra: { session: { "intra_op.allow_spinning": "0", "inter_op.allow_spinning": "0" } } } : {}),
  };
}

async function openSessions(paths: readonly string[], options: LoadModelOptions): Promise<InferenceSession[]> {
  // Paths, not buffers: onnxruntime resolves external data (weights.pb, model.onnx_data) next to the model file.
  const settled = await Promise.allSettled(paths.map((path) => InferenceSession.create(path, sessionOptions(options))));
  const failed = settled.findIndex((outcome) => outcome.status === "rejected");
  if (failed === -1) return settled.map((outcome) => (outcome as PromiseFulfilledResult<InferenceSession>).value);
  await releaseAll(settled.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : null)));
  const reason = (settled[failed] as PromiseRejectedResult).reason as Error;
  throw new ModelLoadError(paths[failed], `onnxruntime cannot load it: ${reason.message}`, { cause: reason });
}

/**
 * Loads a diffusers/optimum ONNX Stable Diffusion folder: checks the files (ModelLoadError names the one at fault),
 * opens one onnxruntime session per component and reads each one's IO contract from its metadata.
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<DiffusionModel> {
  const folder = await readModelFolder(dir);
  const optional = [folder.textEncoderPath, folder.textEncoder2Path, folder.vaeEncoderPath];
  const paths = [folder.unetPath, folder.vaeDecoderPath, ...optional.filter((path): path is string => path !== null)];
  await Promise.all(paths.map(checkExternalData));
  const hash = shortHash(await fileSha256(folder.unetPath));
  const opened = await openSessions(paths, options);
  const [unet, vaeDecoder] = opened as [InferenceSession, InferenceSession];
  let next = 2;
  const [textEncoder, textEncoder2, vaeEncoder] = optional.map((path) => (path === null ? null : opened[next++]!));
  const sessions: Sessions = { textEncoder, textEncoder2, unet, vaeDecoder, vaeEncoder };
  try {
    const io: ComponentIos = {
      textEncoder: textEncoder && folder.textEncoderPath !== null ? readTextEncoderIo(textEncoder, folder.textEncoderPath) : null,
      textEncoder2: textEncoder2 && folder.textEncoder2Path !== null ? readTextEncoderIo(textEncoder2, folder.textEncoder2Path) : null,
      unet: readUnetIo(unet, folder.unetPath),
      vaeDecoder: readVaeDecoderIo(vaeDecoder, folder.vaeDecoderPath),
      vaeEncoder: vaeEncoder === null || folder.vaeEncoderPath === null ? null : readVaeEncoderIo(vaeEncoder, folder.vaeEncoderPath),
    };
    const cacheDir = options.cacheDir ?? join(tmpdir(), "serena-cache");
    const open = (path: string) => InferenceSession.create(path, sessionOptions(options));
    const shared: SharedModel = {
      sessions,
      vaePaths: [folder.vaeDecoderPath, folder.vaeEncoderPath],
      io,
      options,
      textVariants: new VariantCache<TextVariantInfo>(folder.textEncoderPath ?? folder.textEncoder2Path!, cacheDir, options.maxTextEncoderVariants ?? 4, open),
      text2Variants:
        folder.textEncoderPath !== null && folder.textEncoder2Path !== null
          ? new VariantCache<TextVariantInfo>(folder.textEncoder2Path, cacheDir, options.maxTextEncoderVariants ?? 4, open)
          : null,
      unetVariants: new VariantCache<unknown>(folder.unetPath, cacheDir, options.maxUnetVariants ?? 1, open),
    };
    return new OnnxDiffusionModel(modelFacts(folder, io, hash), shared, unet, true);
  } catch (error) {
    await releaseAll(Object.values(sessions));
    throw error;
  }
}
