import { cp, mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadModel, ModelLoadError } from "../../../lib/engine/model/index.ts";
import { ensureTinyModel } from "../../../lib/engine/tiny-model/index.ts";
import type { TinyModelVariant } from "../../../lib/engine/tiny-model/index.ts";
import { OnnxGraphBuilder } from "../../../lib/engine/tiny-model/onnx-graph-builder.ts";
import { readOnnx, writeOnnx } from "./graph-fixtures.ts";

/** Removes the graph outputs whose names match. */
async function stripOutputs(file: string, names: RegExp): Promise<void> {
  const model = await readOnnx(file);
  model.graph!.output = model.graph!.output!.filter((output) => !names.test(output.name ?? ""));
  await writeOnnx(file, model);
}

const sources = new Map<TinyModelVariant, string>();
let scratch: string;

beforeAll(async () => {
  const cache = join(tmpdir(), "serena-tiny-models");
  for (const variant of ["sd1-diffusers", "sd1-optimum-1.24", "sdxl-optimum"] as const) sources.set(variant, await ensureTinyModel(cache, variant));
  scratch = await mkdtemp(join(tmpdir(), "model-load-error-"));
});

/** A private copy of a tiny model, to break. */
async function copyOf(variant: TinyModelVariant): Promise<string> {
  const dir = join(scratch, `${variant}-${Math.random().toString(36).slice(2)}`);
  await cp(sources.get(variant)!, dir, { recursive: true });
  return dir;
}

async function loadError(dir: string): Promise<ModelLoadError> {
  const error: unknown = await loadModel(dir).then(
    async (model) => {
      await model.release();
      return null;
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  return error as ModelLoadError;
}

async function expectFailure(dir: string, file: string, problem: RegExp): Promise<void> {
  const error = await loadError(dir);
  expect(error.file).toBe(file);
  expect(error.message).toContain(file);
  expect(error.message).toMatch(problem);
}

const LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 3438167534\n";

/** Replaces unet/model.onnx with a one-node graph over the given inputs. */
async function writeUnet(dir: string, inputs: Record<string, readonly (number | string)[]>, opType: string): Promise<void> {
  const graph = new OnnxGraphBuilder("unet");
  for (const [name, dims] of Object.entries(inputs)) graph.input(name, "float32", dims);
  graph.op(opType, [Object.keys(inputs)[0]], {}, "out_sample");
  graph.output("out_sample", "float32", ["batch_size", 4, "height", "width"]);
  await writeFile(join(dir, "unet/model.onnx"), graph.encode().model);
}

const SAMPLE = ["batch_size", 4, "height", "width"];
const SCHEDULER_WITH_SAMPLE_PREDICTION = JSON.stringify({
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  num_train_timesteps: 1000,
  prediction_type: "sample",
});

interface BrokenFolder {
  readonly variant: TinyModelVariant;
  /** The file the error must name, relative to the model folder. */
  readonly file: string;
  readonly problem: RegExp;
  readonly breakIt: (dir: string) => Promise<unknown>;
}

const BROKEN_FOLDERS: Record<string, BrokenFolder> = {
  "a folder without model_index.json": {
    variant: "sd1-diffusers",
    file: "model_index.json",
    problem: /missing/,
    breakIt: (dir) => rm(join(dir, "model_index.json")),
  },
  "a missing unet/model.onnx": {
    variant: "sd1-diffusers",
    file: "unet/model.onnx",
    problem: /missing/,
    breakIt: (dir) => rm(join(dir, "unet/model.onnx")),
  },
  "a missing external weights file (diffusers: unet/weights.pb)": {
    variant: "sd1-diffusers",
    file: "unet/weights.pb",
    problem: /missing.*unet\/model\.onnx/,
    breakIt: (dir) => rm(join(dir, "unet/weights.pb")),
  },
  "a missing external weights file (optimum: unet/model.onnx_data)": {
    variant: "sd1-optimum-1.24",
    file: "unet/model.onnx_data",
    problem: /missing/,
    breakIt: (dir) => rm(join(dir, "unet/model.onnx_data")),
  },
  "a truncated external weights file": {
    variant: "sd1-diffusers",
    file: "unet/weights.pb",
    problem: /is 100 bytes but .* reads \d+ bytes/,
    breakIt: (dir) => truncate(join(dir, "unet/weights.pb"), 100),
  },
  "a Git LFS pointer in place of the weights": {
    variant: "sd1-diffusers",
    file: "unet/weights.pb",
    problem: /Git LFS pointer/,
    breakIt: (dir) => writeFile(join(dir, "unet/weights.pb"), LFS_POINTER),
  },
  "a Git LFS pointer in place of a model": {
    variant: "sd1-diffusers",
    file: "vae_decoder/model.onnx",
    problem: /Git LFS pointer/,
    breakIt: (dir) => writeFile(join(dir, "vae_decoder/model.onnx"), LFS_POINTER),
  },
  "a model.onnx that is not an ONNX model": {
    variant: "sd1-diffusers",
    file: "text_encoder/model.onnx",
    problem: /not a readable ONNX model/,
    // A length-delimited field claiming 4 GiB in a 6-byte file.
    breakIt: (dir) => writeFile(join(dir, "text_encoder/model.onnx"), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])),
  },
  "unreadable JSON": {
    variant: "sd1-diffusers",
    file: "scheduler/scheduler_config.json",
    problem: /not valid JSON/,
    breakIt: (dir) => writeFile(join(dir, "scheduler/scheduler_config.json"), "{ beta_start: 0.00085,"),
  },
  "a scheduler_config.json with an unsupported prediction_type": {
    variant: "sd1-diffusers",
    file: "scheduler/scheduler_config.json",
    problem: /prediction_type/,
    breakIt: (dir) => writeFile(join(dir, "scheduler/scheduler_config.json"), SCHEDULER_WITH_SAMPLE_PREDICTION),
  },
  "a missing scheduler_config.json": {
    variant: "sd1-optimum-1.24",
    file: "scheduler/scheduler_config.json",
    problem: /missing/,
    breakIt: (dir) => rm(join(dir, "scheduler"), { recursive: true }),
  },
  "a tokenizer folder without vocab.json": {
    variant: "sd1-optimum-1.24",
    file: "tokenizer/vocab.json",
    problem: /missing/,
    breakIt: (dir) => rm(join(dir, "tokenizer/vocab.json")),
  },
  "an SDXL folder without text_encoder_2": {
    variant: "sdxl-optimum",
    file: "unet/model.onnx",
    problem: /text_embeds and time_ids.*no text_encoder_2/,
    breakIt: (dir) => rm(join(dir, "text_encoder_2"), { recursive: true }),
  },
  "an SDXL folder without tokenizer_2": {
    variant: "sdxl-optimum",
    file: "tokenizer_2/vocab.json",
    problem: /missing/,
    breakIt: (dir) => rm(join(dir, "tokenizer_2"), { recursive: true }),
  },
  "an SDXL text_encoder_2 without a pooled output": {
    variant: "sdxl-optimum",
    file: "text_encoder_2/model.onnx",
    problem: /neither text_embeds nor pooler_output/,
    breakIt: (dir) => stripOutputs(join(dir, "text_encoder_2/model.onnx"), /^text_embeds$/),
  },
  "a UNet input without `sample`": {
    variant: "sd1-optimum-1.24",
    file: "unet/model.onnx",
    problem: /unsupported inputs latents/,
    breakIt: (dir) =>
      writeUnet(dir, { latents: SAMPLE, timestep: [], encoder_hidden_states: ["batch_size", "sequence_length", 32] }, "Identity"),
  },
  "a UNet whose context width differs from the text encoder's": {
    variant: "sd1-optimum-1.24",
    file: "unet/model.onnx",
    problem: /width 768.*gives 32/,
    breakIt: (dir) =>
      writeUnet(dir, { sample: SAMPLE, timestep: [], encoder_hidden_states: ["batch_size", "sequence_length", 768] }, "Identity"),
  },
  "a UNet that onnxruntime cannot load": {
    variant: "sd1-optimum-1.24",
    file: "unet/model.onnx",
    problem: /onnxruntime cannot load it/,
    breakIt: (dir) => writeUnet(dir, { sample: SAMPLE }, "NoSuchOperator"),
  },
};

describe("ModelLoadError names the file at fault", () => {
  it("a folder that does not exist", async () => {
    const missing = join(scratch, "no-such-model");
    await expectFailure(missing, missing, /does not exist/);
  });

  it.each(Object.entries(BROKEN_FOLDERS))("%s", async (_, { variant, file, problem, breakIt }) => {
    const dir = await copyOf(variant);
    await breakIt(dir);
    await expectFailure(dir, join(dir, file), problem);
  });
});

describe("optional parts", () => {
  it("a folder without vae_encoder loads; encodeImage then explains why it cannot run", async () => {
    const dir = await copyOf("sd1-diffusers");
    await rm(join(dir, "vae_encoder"), { recursive: true });
    const model = await loadModel(dir);
    expect(model.facts.vaeEncoderOutput).toBeNull();
    await expect(model.encodeImage(new Float32Array(3 * 64), [1, 3, 8, 8])).rejects.toThrow(/no VAE encoder/);
    await model.release();
  });
});
