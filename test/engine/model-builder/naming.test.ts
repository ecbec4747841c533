import { mkdtemp, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { buildComponentGraph, MODEL_PRESETS, parameterValues, writeOnnxModel } from "../../../lib/engine/model-builder/index.ts";
import type { ComponentName, ExportGraph, LinearWeightLayout } from "../../../lib/engine/model-builder/index.ts";

const { onnx } = onnxProto;
const TINY = MODEL_PRESETS["sd15-tiny"];

/** Node and initializer names as torch.onnx writes them (the exported graph of a real optimum SD export). */
interface Decoded {
  readonly nodes: Map<string, OnnxTypes.INodeProto>;
  readonly producers: Map<string, OnnxTypes.INodeProto>;
  readonly initializers: Map<string, OnnxTypes.ITensorProto>;
}

function decode(graph: ExportGraph): Decoded {
  const model = onnx.ModelProto.decode(graph.encode("model.onnx_data", "test").model);
  const nodes = new Map<string, OnnxTypes.INodeProto>();
  const producers = new Map<string, OnnxTypes.INodeProto>();
  for (const node of model.graph?.node ?? []) {
    nodes.set(node.name ?? "", node);
    for (const output of node.output ?? []) producers.set(output, node);
  }
  const initializers = new Map((model.graph?.initializer ?? []).map((tensor) => [tensor.name ?? "", tensor]));
  return { nodes, producers, initializers };
}

const layouts: Record<LinearWeightLayout, Map<ComponentName, Decoded>> = { named: new Map(), folded: new Map() };

beforeAll(() => {
  for (const linearWeights of ["named", "folded"] as const) {
    for (const component of ["text_encoder", "unet", "vae_decoder", "vae_encoder"] as const) {
      layouts[linearWeights].set(component, decode(buildComponentGraph(TINY, component, { linearWeights })));
    }
  }
});

/** Module paths whose Linear weight feeds `/<scope>/MatMul`, per component (diffusers/transformers module names). */
const LINEARS: [ComponentName, string, number, number][] = [
  ["unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q", 32, 32],
  ["unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k", 32, 32],
  ["unet", "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0", 32, 32],
  ["unet", "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj", 256, 32],
  ["unet", "up_blocks.1.attentions.1.transformer_blocks.0.ff.net.2", 32, 128],
  ["unet", "mid_block.attentions.0.transformer_blocks.0.attn2.to_v", 64, 32],
  ["text_encoder", "text_model.encoder.layers.0.self_attn.q_proj", 32, 32],
  ["text_encoder", "text_model.encoder.layers.1.mlp.fc1", 64, 32],
  ["vae_decoder", "decoder.mid_block.attentions.0.to_q", 16, 16],
  ["vae_encoder", "encoder.mid_block.attentions.0.to_out.0", 16, 16],
];

const nodeScope = (path: string) => `/${path.split(".").reduce<string[]>((parts, part) => {
  // torch joins a ModuleList index to its list's name ("down_blocks.0"), and scopes each module with "/".
  if (/^\d+$/.test(part)) parts[parts.length - 1] += `.${part}`;
  else parts.push(part);
  return parts;
}, []).join("/")}`;

describe("named Linear weights", () => {
  it.each(LINEARS)("%s %s: parameter → Transpose → MatMul, all in the module's scope", (component, path, out, inFeatures) => {
    const graph = layouts.named.get(component)!;
    const matmul = graph.nodes.get(`${nodeScope(path)}/MatMul`);
    expect(matmul).toBeDefined();
    const transpose = graph.producers.get(matmul!.input![1]);
    expect(transpose?.name).toBe(`${nodeScope(path)}/Transpose`);
    expect(transpose?.input).toEqual([`${path}.weight`]);
    expect(graph.initializers.get(`${path}.weight`)?.dims?.map(Number)).toEqual([out, inFeatures]);
  });
});

describe("folded Linear weights", () => {
  it.each(LINEARS)("%s %s: a transposed onnx::MatMul_N initializer feeds the scoped MatMul", (component, path, out, inFeatures) => {
    const graph = layouts.folded.get(component)!;
    const matmul = graph.nodes.get(`${nodeScope(path)}/MatMul`);
    const weight = matmul?.input?.[1] ?? "";
    expect(weight).toMatch(/^onnx::MatMul_\d+$/);
    expect(graph.initializers.get(weight)?.dims?.map(Number)).toEqual([inFeatures, out]);
    expect(graph.initializers.has(`${path}.weight`)).toBe(false);
  });
});

describe("names common to both layouts", () => {
  it.each(["named", "folded"] as const)("%s: convolutions, biases and 2-D (Gemm) Linear weights keep their parameter names", (layout) => {
    const unet = layouts[layout].get("unet")!;
    expect(unet.nodes.get("/conv_in/Conv")?.input).toEqual(["sample", "conv_in.weight", "conv_in.bias"]);
    expect(unet.nodes.get("/down_blocks.0/resnets.0/conv1/Conv")?.input?.slice(1)).toEqual([
      "down_blocks.0.resnets.0.conv1.weight",
      "down_blocks.0.resnets.0.conv1.bias",
    ]);
    expect(unet.nodes.get("/time_embedding/linear_1/Gemm")?.input?.slice(1)).toEqual(["time_embedding.linear_1.weight", "time_embedding.linear_1.bias"]);
    expect(unet.nodes.get("/down_blocks.0/resnets.0/time_emb_proj/Gemm")?.input?.[1]).toBe("down_blocks.0.resnets.0.time_emb_proj.weight");
    expect(unet.nodes.get("/down_blocks.0/attentions.0/proj_in/Conv")?.input?.[1]).toBe("down_blocks.0.attentions.0.proj_in.weight");
    const add = unet.nodes.get("/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_out.0/Add");
    expect(add?.input?.[0]).toBe("down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.bias");
    expect(unet.nodes.get("/down_blocks.0/attentions.0/transformer_blocks.0/norm1/LayerNormalization")?.input?.slice(1)).toEqual([
      "down_blocks.0.attentions.0.transformer_blocks.0.norm1.weight",
      "down_blocks.0.attentions.0.transformer_blocks.0.norm1.bias",
    ]);
    const text = layouts[layout].get("text_encoder")!;
    expect(text.nodes.get("/text_model/embeddings/token_embedding/Gather")?.input?.[0]).toBe("text_model.embeddings.token_embedding.weight");
  });

  it("repeated node types in one scope get torch's _1, _2 suffixes", () => {
    const unet = layouts.named.get("unet")!;
    // ResnetBlock2D applies its one `nonlinearity` module three times (norm1, temb, norm2).
    for (const name of ["Sigmoid", "Sigmoid_1", "Sigmoid_2"]) expect(unet.nodes.has(`/down_blocks.0/resnets.0/nonlinearity/${name}`)).toBe(true);
    expect(unet.nodes.has("/down_blocks.0/resnets.0/nonlinearity/Sigmoid_3")).toBe(false);
  });
});

describe("the two layouts compute the same function", () => {
  it("named and folded UNets of one seed give the same out_sample", async () => {
    const dir = await mkdtemp(join(tmpdir(), "model-builder-layouts-"));
    const outputs: Float32Array[] = [];
    for (const linearWeights of ["named", "folded"] as const) {
      const folder = join(dir, linearWeights);
      await mkdir(folder);
      await writeOnnxModel(buildComponentGraph(TINY, "unet", { linearWeights }), folder, { seed: 7 });
      const session = await InferenceSession.create(join(folder, "model.onnx"));
      const sample = new Float32Array(4 * 8 * 8).map((_, i) => Math.sin(i));
      const context = new Float32Array(77 * 32).map((_, i) => Math.cos(i));
      const result = await session.run({
        sample: new Tensor("float32", sample, [1, 4, 8, 8]),
        timestep: new Tensor("float32", new Float32Array([321]), []),
        encoder_hidden_states: new Tensor("float32", context, [1, 77, 32]),
      });
      outputs.push(result.out_sample.data as Float32Array);
      await session.release();
    }
    expect(outputs[1]).toEqual(outputs[0]);
  });

  it("a folded initializer holds the transpose of the parameter's values", () => {
    const graph = buildComponentGraph(TINY, "unet", { linearWeights: "folded" });
    const parameter = graph.parameters.find((p) => p.name === "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2.weight")!;
    expect(parameter).toMatchObject({ transposed: true, dims: [32, 128], storedDims: [128, 32] });
    const values = parameterValues(1, parameter);
    // torch's default Linear init: U(−1/√fan_in, 1/√fan_in), fan_in = 128.
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(128));
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.9 / Math.sqrt(128));
  });
});
