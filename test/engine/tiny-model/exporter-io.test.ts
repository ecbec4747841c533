import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession } from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureTinyModel, TINY_MODEL_VARIANTS } from "../../../lib/engine/tiny-model/index.ts";
import type { TinyModelVariant } from "../../../lib/engine/tiny-model/index.ts";

type Io = Record<string, { type: string; shape: readonly (number | string)[] }>;

async function sessionIo(dir: string, component: string): Promise<{ inputs: Io; outputs: Io }> {
  const session = await InferenceSession.create(join(dir, component, "model.onnx"));
  const table = (metadata: typeof session.inputMetadata): Io =>
    Object.fromEntries(metadata.map((m) => [m.name, m.isTensor ? { type: m.type, shape: m.shape } : { type: "?", shape: [] }]));
  const io = { inputs: table(session.inputMetadata), outputs: table(session.outputMetadata) };
  await session.release();
  return io;
}

const dirs = new Map<TinyModelVariant, string>();

beforeAll(async () => {
  const cache = join(tmpdir(), "serena-tiny-models");
  for (const variant of TINY_MODEL_VARIANTS) dirs.set(variant, await ensureTinyModel(cache, variant));
});

// Expected IO from the exporter table of docs/engine-reference.md §1.2 (diffusers convert script; optimum < 1.23, 1.23,
// ≥ 1.24) and its §0.1 summary. Axis names: the script's dynamic_axes, optimum's OnnxConfig inputs/outputs.
describe("each variant has its exporter's IO contract (docs/engine-reference.md §1.2)", () => {
  it.each([
    ["sd1-diffusers", "int32", "float32", ["batch"]],
    ["sd1-diffusers-fp16", "int32", "float16", ["batch"]],
    ["sd1-optimum-1.22", "int64", "int64", ["steps"]],
    ["sd2-optimum-1.23", "int64", "int64", ["steps"]],
    ["sd1-optimum-1.24", "int64", "float32", []],
  ] as const)("%s: input_ids %s, timestep %s %j", async (variant, idsType, timestepType, timestepShape) => {
    const dir = dirs.get(variant)!;
    const text = await sessionIo(dir, "text_encoder");
    expect(text.inputs.input_ids.type).toBe(idsType);
    const unet = await sessionIo(dir, "unet");
    expect(unet.inputs.timestep).toEqual({ type: timestepType, shape: timestepShape });
  });

  it.each([
    ["sd1-diffusers", "latent_sample", 4],
    ["sd1-optimum-1.22", "latent_sample", 4],
    ["sd2-optimum-1.23", "latent_parameters", 8],
    ["sd1-optimum-1.24", "latent_parameters", 8],
  ] as const)("%s: vae_encoder returns %s with %d channels", async (variant, output, channels) => {
    const encoder = await sessionIo(dirs.get(variant)!, "vae_encoder");
    expect(Object.keys(encoder.outputs)).toEqual([output]);
    const shape = encoder.outputs[output].shape;
    expect(shape).toHaveLength(4);
    if (typeof shape[1] === "number") expect(shape[1]).toBe(channels);
  });

  it("diffusers-script exports mark every axis dynamic, optimum fixes the channels", async () => {
    const script = await sessionIo(dirs.get("sd1-diffusers")!, "unet");
    expect(script.inputs.sample.shape).toEqual(["batch", "channels", "height", "width"]);
    const optimum = await sessionIo(dirs.get("sd1-optimum-1.24")!, "unet");
    expect(optimum.inputs.sample.shape).toEqual(["batch_size", 4, "height", "width"]);
    expect(optimum.inputs.encoder_hidden_states.shape).toEqual(["batch_size", "sequence_length", 32]);
  });

  it("the fp16 export has float16 IO everywhere, timestep included", async () => {
    const dir = dirs.get("sd1-diffusers-fp16")!;
    const types: string[] = [];
    for (const component of ["text_encoder", "unet", "vae_decoder", "vae_encoder"]) {
      const { inputs, outputs } = await sessionIo(dir, component);
      for (const [name, io] of Object.entries({ ...inputs, ...outputs })) if (name !== "input_ids") types.push(io.type);
    }
    expect(new Set(types)).toEqual(new Set(["float16"]));
  });
});

describe("SD-shaped graphs (docs/engine-reference.md §1.2)", () => {
  it.each(TINY_MODEL_VARIANTS)("%s: text_encoder [B,seq] → last_hidden_state [B,seq,D], pooler_output [B,D]", async (variant) => {
    const { outputs } = await sessionIo(dirs.get(variant)!, "text_encoder");
    expect(Object.keys(outputs)).toEqual(["last_hidden_state", "pooler_output"]);
    expect(outputs.last_hidden_state.shape).toHaveLength(3);
    expect(outputs.pooler_output.shape).toHaveLength(2);
    expect(outputs.last_hidden_state.shape[2]).toBe(variant.startsWith("sd2") ? 48 : 32);
  });

  it.each(TINY_MODEL_VARIANTS)("%s: UNet sample, timestep, encoder_hidden_states → out_sample; VAE latent_sample → sample", async (variant) => {
    const dir = dirs.get(variant)!;
    const unet = await sessionIo(dir, "unet");
    expect(Object.keys(unet.inputs)).toEqual(["sample", "timestep", "encoder_hidden_states"]);
    expect(Object.keys(unet.outputs)).toEqual(["out_sample"]);
    const decoder = await sessionIo(dir, "vae_decoder");
    expect(Object.keys(decoder.inputs)).toEqual(["latent_sample"]);
    expect(Object.keys(decoder.outputs)).toEqual(["sample"]);
    expect(Object.keys((await sessionIo(dir, "vae_encoder")).inputs)).toEqual(["sample"]);
  });
});
