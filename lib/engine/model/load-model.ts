import { InferenceSession } from "onnxruntime-node";
import {
  readTextEncoderIo,
  readUnetIo,
  readVaeDecoderIo,
  readVaeEncoderIo,
  timestepTensor,
  tokenIdsTensor,
} from "./component-io.ts";
import { checkExternalData } from "./external-data.ts";
import { fileSha256, shortHash } from "./file-hash.ts";
import { modelFacts } from "./model-facts.ts";
import type { ComponentIos, ModelFacts } from "./model-facts.ts";
import { readModelFolder } from "./model-folder.ts";
import { ModelLoadError } from "./model-load-error.ts";
import { floatTensor, floatValues, product } from "./tensor-io.ts";

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
}

/**
 * What the VAE encoder returns, latent shape [B,4,h,w], unscaled (multiply by vaeScalingFactor):
 * the posterior mean and log-variance (`latent_parameters` exports), or the sample the export drew itself
 * (`latent_sample` exports).
 */
export type LatentEncoding =
  | { readonly kind: "parameters"; readonly mean: Float32Array; readonly logvar: Float32Array; readonly shape: Shape4 }
  | { readonly kind: "sample"; readonly sample: Float32Array; readonly shape: Shape4 };

export interface DiffusionModel {
  readonly facts: ModelFacts;
  /** Token ids [batch, L] (L = ids.length / batch, 77 per chunk) → last_hidden_state [batch, L, D]. */
  encodeText(ids: Int32Array, batch: number): Promise<Float32Array>;
  /**
   * One UNet call: sample [B,C,h,w], timestep t (fractional allowed; rounded for int64 exports), context [B,S,D]
   * with any S → the raw UNet output (ε or v, per facts.predictionType), [B,C,h,w].
   */
  predictNoise(sample: Float32Array, shape: Shape4, timestep: number, context: Float32Array, contextShape: Shape3): Promise<Float32Array>;
  /** Latents [B,4,h,w], already divided by vaeScalingFactor → pixels [B,3,8h,8w], roughly in [−1, 1]. */
  decodeLatents(latents: Float32Array, shape: Shape4): Promise<Float32Array>;
  /** Pixels [B,3,H,W] in [−1, 1] → latents at H/8 × W/8. Rejects when the folder has no VAE encoder. */
  encodeImage(pixels: Float32Array, shape: Shape4): Promise<LatentEncoding>;
  release(): Promise<void>;
}

interface Sessions {
  readonly textEncoder: InferenceSession;
  readonly unet: InferenceSession;
  readonly vaeDecoder: InferenceSession;
  readonly vaeEncoder: InferenceSession | null;
}

function checkLength(values: Float32Array | Int32Array, dims: readonly number[], what: string): void {
  if (values.length !== product(dims)) {
    throw new RangeError(`${what} has ${values.length} values but shape [${dims.join(", ")}] needs ${product(dims)}`);
  }
}

class OnnxDiffusionModel implements DiffusionModel {
  readonly facts: ModelFacts;
  readonly #sessions: Sessions;
  readonly #io: ComponentIos;

  constructor(facts: ModelFacts, sessions: Sessions, io: ComponentIos) {
    this.facts = facts;
    this.#sessions = sessions;
    this.#io = io;
  }

  async encodeText(ids: Int32Array, batch: number): Promise<Float32Array> {
    const length = ids.length / batch;
    if (!Number.isInteger(length) || length === 0) throw new RangeError(`${ids.length} token ids do not split into ${batch} rows`);
    const io = this.#io.textEncoder;
    const result = await this.#sessions.textEncoder.run({ input_ids: tokenIdsTensor(io.idsType, ids, [batch, length]) }, [io.output]);
    return floatValues(result[io.output]);
  }

  async predictNoise(
    sample: Float32Array,
    shape: Shape4,
    timestep: number,
    context: Float32Array,
    contextShape: Shape3,
  ): Promise<Float32Array> {
    checkLength(sample, shape, "sample");
    checkLength(context, contextShape, "context");
    const batch = shape[0];
    if (contextShape[0] !== batch) throw new RangeError(`sample batch ${batch} differs from context batch ${contextShape[0]}`);
    if (this.facts.unetBatch !== "dynamic" && batch !== this.facts.unetBatch) {
      throw new RangeError(`this UNet export takes batches of exactly ${this.facts.unetBatch}, not ${batch}`);
    }
    const io = this.#io.unet;
    const result = await this.#sessions.unet.run(
      {
        sample: floatTensor(io.floatType, sample, shape),
        timestep: timestepTensor(io.timestep, timestep, batch),
        encoder_hidden_states: floatTensor(io.contextType, context, contextShape),
      },
      [io.output],
    );
    return floatValues(result[io.output]);
  }

  async decodeLatents(latents: Float32Array, shape: Shape4): Promise<Float32Array> {
    checkLength(latents, shape, "latents");
    const io = this.#io.vaeDecoder;
    const run = async (values: Float32Array, dims: Shape4) => {
      const result = await this.#sessions.vaeDecoder.run({ latent_sample: floatTensor(io.floatType, values, dims) }, [io.output]);
      return floatValues(result[io.output]);
    };
    const [batch, channels, height, width] = shape;
    // diffusers' ONNX pipeline decodes one image at a time: half-precision VAE decoders give strange results for
    // batches larger than one (pipeline_onnx_stable_diffusion.py; docs/engine-reference.md §1.2).
    if (io.floatType === "float32" || batch === 1) return run(latents, shape);
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
    const session = this.#sessions.vaeEncoder;
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

  async release(): Promise<void> {
    await releaseAll(Object.values(this.#sessions));
  }
}

async function releaseAll(sessions: readonly (InferenceSession | null)[]): Promise<void> {
  await Promise.all(sessions.map((session) => session?.release()));
}

async function openSessions(paths: readonly string[], options: LoadModelOptions): Promise<InferenceSession[]> {
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: options.executionProviders ?? ["cpu"],
    ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
    ...(options.interOpNumThreads === undefined ? {} : { interOpNumThreads: options.interOpNumThreads }),
    ...(options.allowSpinning === false ? { extra: { session: { "intra_op.allow_spinning": "0", "inter_op.allow_spinning": "0" } } } : {}),
  };
  // Paths, not buffers: onnxruntime resolves external data (weights.pb, model.onnx_data) next to the model file.
  const settled = await Promise.allSettled(paths.map((path) => InferenceSession.create(path, sessionOptions)));
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
  const paths = [folder.textEncoderPath, folder.unetPath, folder.vaeDecoderPath, folder.vaeEncoderPath].filter(
    (path): path is string => path !== null,
  );
  await Promise.all(paths.map(checkExternalData));
  const hash = shortHash(await fileSha256(folder.unetPath));
  const [textEncoder, unet, vaeDecoder, vaeEncoder = null] = await openSessions(paths, options);
  const sessions: Sessions = { textEncoder, unet, vaeDecoder, vaeEncoder };
  try {
    const io: ComponentIos = {
      textEncoder: readTextEncoderIo(textEncoder, folder.textEncoderPath),
      unet: readUnetIo(unet, folder.unetPath),
      vaeDecoder: readVaeDecoderIo(vaeDecoder, folder.vaeDecoderPath),
      vaeEncoder: vaeEncoder === null || folder.vaeEncoderPath === null ? null : readVaeEncoderIo(vaeEncoder, folder.vaeEncoderPath),
    };
    return new OnnxDiffusionModel(modelFacts(folder, io, hash), sessions, io);
  } catch (error) {
    await releaseAll(Object.values(sessions));
    throw error;
  }
}
