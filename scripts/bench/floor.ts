/**
 * The floor a txt2img cannot go under: the bare onnxruntime calls it has to make, with the sessions created from the
 * same files and the same options as the engine's (load-model.ts `sessionOptions`, with the settings the local
 * backend's worker thread passes): the text encoder once for the prompt and the negative prompt (one call at batch
 * 2, or two calls where the export fixes batch 1), `steps` UNet calls at batch 2 (uncond + cond), one VAE decode.
 * No tokeniser, sampler arithmetic, image conversion, PNG or HTTP: everything Serena adds is measured against this.
 */
import path from "node:path";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { sessionOptions, type LoadModelOptions } from "../../lib/engine/model/load-model.ts";
import { floatTensor, floatValues, type FloatType } from "../../lib/engine/model/tensor-io.ts";

/**
 * Noise-like inputs in [-1, 1), as the sampler feeds (a linear congruential sequence from `seed`): constant inputs can
 * drive a randomly initialised network into denormal floats, which x86 computes far more slowly.
 */
export function noise(n: number, seed = 0x9e3779b9): Float32Array {
  const values = new Float32Array(n);
  let state = seed;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = (state / 2 ** 32) * 2 - 1;
  }
  return values;
}

export interface FloorTimes {
  readonly totalMs: number;
  readonly textEncoderMs: number;
  readonly unetMs: number;
  readonly vaeMs: number;
}

export interface Floor {
  /** One generation's calls at `width`×`height`, `steps` UNet calls. */
  run(width: number, height: number, steps: number): Promise<FloorTimes>;
  release(): Promise<void>;
}

const metadata = (session: InferenceSession, name: string) => {
  const found = session.inputMetadata.find((m) => m.name === name);
  if (!found || !found.isTensor) throw new Error(`the export has no tensor input "${name}" (inputs: ${session.inputNames.join(", ")})`);
  return found;
};

const floatTypeOf = (session: InferenceSession, name: string): FloatType => {
  const type = metadata(session, name).type;
  if (type !== "float32" && type !== "float16") throw new Error(`input "${name}" is ${type}, not a float`);
  return type;
};

/** A fixed batch axis of 1 means one call per prompt. */
const fixedBatchOne = (session: InferenceSession, name: string) => metadata(session, name).shape[0] === 1;

export async function openFloor(modelDir: string, options: LoadModelOptions): Promise<Floor> {
  const open = (component: string) => InferenceSession.create(path.join(modelDir, component, "model.onnx"), sessionOptions(options));
  const [textEncoder, unet, vae] = await Promise.all([open("text_encoder"), open("unet"), open("vae_decoder")]);
  const idsType = metadata(textEncoder, "input_ids").type;
  const unetType = floatTypeOf(unet, "sample");
  const vaeType = floatTypeOf(vae, "latent_sample");
  const unetChannels = Number(metadata(unet, "sample").shape[1]) || 4;
  const timestep = metadata(unet, "timestep");

  const ids = (batch: number) => {
    const count = batch * 77;
    // BOS, then EOS as padding: what an empty prompt tokenises to (the values do not change the cost).
    const values = Array.from({ length: count }, (_, i) => (i % 77 === 0 ? 49406 : 49407));
    return idsType === "int64"
      ? new Tensor("int64", BigInt64Array.from(values, BigInt), [batch, 77])
      : new Tensor("int32", Int32Array.from(values), [batch, 77]);
  };
  const timestepTensor = (t: number) => {
    const dims = timestep.isTensor ? timestep.shape.map((d) => (typeof d === "number" && d > 0 ? d : 1)) : [1];
    const n = dims.reduce((a, b) => a * b, 1);
    if (timestep.isTensor && timestep.type === "int64") return new Tensor("int64", new BigInt64Array(n).fill(BigInt(t)), dims);
    return floatTensor(timestep.isTensor && timestep.type === "float16" ? "float16" : "float32", new Float32Array(n).fill(t), dims);
  };

  const encodeText = async (): Promise<Tensor> => {
    if (!fixedBatchOne(textEncoder, "input_ids")) return (await textEncoder.run({ input_ids: ids(2) }))["last_hidden_state"]!;
    const [a, b] = [await textEncoder.run({ input_ids: ids(1) }), await textEncoder.run({ input_ids: ids(1) })];
    const [x, y] = [a["last_hidden_state"]!, b["last_hidden_state"]!];
    const data = new Float32Array(x.data.length * 2);
    data.set(floatValues(x));
    data.set(floatValues(y), x.data.length);
    return new Tensor("float32", data, [2, ...x.dims.slice(1)]);
  };

  return {
    async run(width, height, steps) {
      const [h, w] = [height / 8, width / 8];
      const started = performance.now();
      const hidden = await encodeText();
      const textDone = performance.now();
      const sample = floatTensor(unetType, noise(2 * unetChannels * h * w), [2, unetChannels, h, w]);
      // A float16 output cannot go back in as it is: onnxruntime-node 1.30 reads a Float16Array's byte length as 0
      // (lib/engine/model/float16.ts); floatTensor makes the input the engine would pass.
      const states = hidden.type === "float32" && unetType === "float32" ? hidden : floatTensor(unetType, floatValues(hidden), hidden.dims);
      for (let i = 0; i < steps; i++) {
        await unet.run({ sample, timestep: timestepTensor(999 - i * 50), encoder_hidden_states: states });
      }
      const unetDone = performance.now();
      await vae.run({ latent_sample: floatTensor(vaeType, noise(4 * h * w), [1, 4, h, w]) });
      const end = performance.now();
      return { totalMs: end - started, textEncoderMs: textDone - started, unetMs: unetDone - textDone, vaeMs: end - unetDone };
    },
    async release() {
      await Promise.all([textEncoder.release(), unet.release(), vae.release()]);
    },
  };
}
