/**
 * Test-side ONNX editing, written independently of lib/engine/model/graph (plain onnx-proto decoding and byte
 * writes), so that tests can build reference models the code under test never touched.
 */
import { cp, readFile, writeFile, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

const { onnx } = onnxProto;

const num = (v: number | { toNumber(): number } | null | undefined) => (v === null || v === undefined ? 0 : typeof v === "number" ? v : v.toNumber());

export async function readOnnx(path: string): Promise<OnnxTypes.ModelProto> {
  return onnx.ModelProto.decode(await readFile(path));
}

export async function writeOnnx(path: string, model: OnnxTypes.IModelProto): Promise<void> {
  await writeFile(path, onnx.ModelProto.encode(model).finish());
}

/** Copies a model folder (the copy's files are its own: editing them leaves the original alone). */
export async function copyFolder(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
}

function externalField(tensor: OnnxTypes.ITensorProto, key: string): string | undefined {
  return tensor.externalData?.find((e) => e.key === key)?.value ?? undefined;
}

/** An initializer of `modelPath` (external or inline) as float32 values, with its dims and whether it is float16. */
export async function readTensor(modelPath: string, name: string): Promise<{ dims: number[]; values: Float32Array; float16: boolean }> {
  const model = await readOnnx(modelPath);
  const tensor = model.graph!.initializer!.find((t) => t.name === name);
  if (!tensor) throw new Error(`no initializer ${name} in ${modelPath}`);
  const dims = (tensor.dims ?? []).map(num);
  const count = dims.reduce((a, b) => a * b, 1);
  const float16 = tensor.dataType === onnx.TensorProto.DataType.FLOAT16;
  const size = float16 ? 2 : 4;
  let bytes: Uint8Array;
  const location = externalField(tensor, "location");
  if (location) {
    const handle = await open(join(dirname(modelPath), location), "r");
    bytes = new Uint8Array(count * size);
    await handle.read(bytes, 0, bytes.length, Number(externalField(tensor, "offset") ?? 0));
    await handle.close();
  } else {
    bytes = tensor.rawData!.slice();
  }
  const values = float16 ? new Float32Array(new Float16Array(bytes.buffer, 0, count)) : new Float32Array(bytes.buffer, 0, count);
  return { dims, values, float16 };
}

/** Overwrites an initializer's values in place (in its external data file or inline). */
export async function writeTensor(modelPath: string, name: string, values: Float32Array): Promise<void> {
  const model = await readOnnx(modelPath);
  const tensor = model.graph!.initializer!.find((t) => t.name === name);
  if (!tensor) throw new Error(`no initializer ${name} in ${modelPath}`);
  const float16 = tensor.dataType === onnx.TensorProto.DataType.FLOAT16;
  const bytes = float16 ? new Uint8Array(new Float16Array(values).buffer) : new Uint8Array(Float32Array.from(values).buffer);
  const location = externalField(tensor, "location");
  if (location) {
    const handle = await open(join(dirname(modelPath), location), "r+");
    await handle.write(bytes, 0, bytes.length, Number(externalField(tensor, "offset") ?? 0));
    await handle.close();
  } else {
    tensor.rawData = bytes;
    await writeOnnx(modelPath, model);
  }
}

/**
 * Replaces every LayerNormalization node by the decomposed form torch.onnx exports below opset 17
 * (torch/onnx/symbolic_opset9.py `native_layer_norm`): mean = ReduceMean(x), d = x − mean, var = ReduceMean(d²),
 * y = d / sqrt(var + eps) · weight + bias. Opset 17's ReduceMean still takes `axes` as an attribute.
 */
export async function decomposeLayerNorms(modelPath: string): Promise<number> {
  const model = await readOnnx(modelPath);
  const graph = model.graph!;
  const nodes: OnnxTypes.INodeProto[] = [];
  let count = 0;
  const floatType = graph.output![0]!.type!.tensorType!.elemType!;
  for (const node of graph.node!) {
    if (node.opType !== "LayerNormalization") {
      nodes.push(node);
      continue;
    }
    const [x, weight, bias] = node.input!;
    const eps = node.attribute!.find((a) => a.name === "epsilon")?.f ?? 1e-5;
    const p = `${node.name}/decomposed`;
    const n = (opType: string, inputs: string[], out: string, attribute: OnnxTypes.IAttributeProto[] = []) =>
      nodes.push({ name: `${p}/${out}`, opType, input: inputs, output: [`${p}/${out}`], attribute });
    const axes = [{ name: "axes", type: onnx.AttributeProto.AttributeType.INTS, ints: [-1] }];
    const constant = (out: string, value: number) =>
      nodes.push({
        name: `${p}/${out}`,
        opType: "Constant",
        output: [`${p}/${out}`],
        attribute: [
          {
            name: "value",
            type: onnx.AttributeProto.AttributeType.TENSOR,
            t: {
              dims: [],
              dataType: floatType,
              rawData: floatType === onnx.TensorProto.DataType.FLOAT16 ? new Uint8Array(Float16Array.of(value).buffer) : new Uint8Array(Float32Array.of(value).buffer),
            },
          },
        ],
      });
    n("ReduceMean", [x!], "mean", axes);
    n("Sub", [x!, `${p}/mean`], "d");
    constant("two", 2);
    n("Pow", [`${p}/d`, `${p}/two`], "d2");
    n("ReduceMean", [`${p}/d2`], "var", axes);
    constant("eps", eps);
    n("Add", [`${p}/var`, `${p}/eps`], "vareps");
    n("Sqrt", [`${p}/vareps`], "std");
    n("Div", [`${p}/d`, `${p}/std`], "normed");
    n("Mul", [`${p}/normed`, weight!], "scaled");
    nodes.push({ name: `${p}/out`, opType: "Add", input: [`${p}/scaled`, bias!], output: [node.output![0]!] });
    count++;
  }
  graph.node = nodes as OnnxTypes.NodeProto[];
  await writeOnnx(modelPath, model);
  return count;
}

/** A deterministic, non-trivial vector (for layer-norm weights that are not ones and zeros). */
export const wavy = (length: number, scale: number, offset: number, phase: number) =>
  Float32Array.from({ length }, (_, i) => offset + scale * Math.sin(phase + 1.7 * i));
