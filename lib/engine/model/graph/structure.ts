/**
 * Finding the parts of a text encoder or UNet graph by their structure, never by the node names one exporter gives
 * them: the layer norms, the residual stream of a pre-norm transformer, the token-embedding table, and the weight a
 * module's Linear or Conv layer multiplies by.
 *
 * Pre-norm transformer layers (CLIP's CLIPEncoderLayer, transformers modeling_clip.py) compute
 * `h = x + attn(LN1(x))` and `out = h + mlp(LN2(h))`: every residual-stream tensor is read by a layer norm and by
 * the residual Add after it. Walking back from the final layer norm's input along those Adds visits, two Adds per
 * layer, each layer's output: the hidden states A1111's clip skip picks from.
 */
import type { onnx as OnnxTypes } from "onnx-proto";
import type { ModelEditor } from "./model-editor.ts";
import { dimsOf, toNumber } from "./tensor-data.ts";

type Node = OnnxTypes.INodeProto;

const inputs = (node: Node) => (node.input ?? []).filter((name): name is string => Boolean(name));
const output = (node: Node) => node.output?.[0] ?? "";

/** `tensor`, and the outputs of Casts applied to it (fp16 exports may normalise in float32). */
function withCasts(model: ModelEditor, tensor: string): string[] {
  return [tensor, ...model.consumers(tensor).filter((n) => n.opType === "Cast").map(output)];
}

/**
 * Whether `tensor` is the input of a layer norm: the first input of a LayerNormalization node (opset ≥ 17), or, as
 * torch exports nn.LayerNorm below opset 17, the input of a ReduceMean whose result a Sub takes from it
 * (`x − mean(x)`, the start of the decomposed form ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add).
 */
export function isLayerNormInput(model: ModelEditor, tensor: string): boolean {
  for (const value of withCasts(model, tensor)) {
    const consumers = model.consumers(value);
    if (consumers.some((n) => n.opType === "LayerNormalization" && n.input?.[0] === value)) return true;
    for (const mean of consumers.filter((n) => n.opType === "ReduceMean" && n.input?.[0] === value)) {
      if (consumers.some((n) => n.opType === "Sub" && n.input?.[0] === value && n.input?.[1] === output(mean))) return true;
    }
  }
  return false;
}

/** Nodes on every path from `from` to `to`, in graph order. */
function nodesBetween(model: ModelEditor, from: string, to: string): Node[] {
  const forward = new Set<Node>();
  const reached = new Set<string>([from]);
  for (const node of model.nodes) {
    if (inputs(node).some((name) => reached.has(name))) {
      forward.add(node);
      for (const name of node.output ?? []) if (name) reached.add(name);
    }
  }
  const backward = new Set<Node>();
  const pending = [to];
  while (pending.length > 0) {
    const producer = model.producer(pending.pop()!);
    if (producer === undefined || backward.has(producer) || !forward.has(producer)) continue;
    backward.add(producer);
    pending.push(...inputs(producer));
  }
  return model.nodes.filter((node) => backward.has(node));
}

export interface NormRegion {
  /** The layer norm's input (the last hidden state before it). */
  readonly input: string;
  /** The graph output it ends in. */
  readonly output: string;
  /** Every node from input to output (the norm, its affine part, and casts or identities after it). */
  readonly nodes: readonly Node[];
}

/** More nodes than a decomposed layer norm with casts and identities around it has: a sign of a wrong match. */
const MAX_NORM_NODES = 16;

/** The layer norm that ends in the graph output `outputName` (CLIP's `final_layer_norm` before `last_hidden_state`). */
export function finalNormRegion(model: ModelEditor, outputName: string): NormRegion | null {
  const seen = new Set<string>();
  const queue = [outputName];
  while (queue.length > 0) {
    const tensor = queue.shift()!;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    if (tensor !== outputName && isLayerNormInput(model, tensor)) {
      const nodes = nodesBetween(model, tensor, outputName);
      return nodes.length > 0 && nodes.length <= MAX_NORM_NODES ? { input: tensor, output: outputName, nodes } : null;
    }
    const producer = model.producer(tensor);
    if (producer !== undefined) queue.push(...inputs(producer).filter((name) => model.initializer(name) === undefined));
    if (seen.size > 4 * MAX_NORM_NODES) return null;
  }
  return null;
}

/**
 * The residual stream behind `last`: [last, the mid-layer sum before it, the previous layer's output, …], back to the
 * embeddings' output. Each step goes to the operand of a residual Add that a layer norm also reads.
 */
export function residualStream(model: ModelEditor, last: string): string[] {
  const stream = [last];
  for (;;) {
    const producer = model.producer(stream[stream.length - 1]!);
    if (producer?.opType !== "Add") return stream;
    const candidates = inputs(producer).filter((name) => model.initializer(name) === undefined && isLayerNormInput(model, name));
    if (candidates.length !== 1 || stream.includes(candidates[0]!)) return stream;
    stream.push(candidates[0]!);
  }
}

export interface TokenEmbedding {
  /** The [vocab, hidden] initializer. */
  readonly table: string;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  /** The Gather that reads token rows. */
  readonly gather: OnnxTypes.INodeProto;
  /** The data type the Gather reads (the table's, or the Cast's target when the table is cast first). */
  readonly dataType: number;
  /** The data type of the Gather's indices (int32 or int64). */
  readonly indexType: number;
}

const PASS_THROUGH = new Set(["Cast", "Identity", "Reshape", "Unsqueeze", "Squeeze", "Flatten"]);

const castTarget = (node: Node): number => toNumber(node.attribute?.find((a) => a.name === "to")?.i);

/** The element type of `tensor`, followed back through pass-through nodes to a graph input or a Cast. */
function elementTypeOf(model: ModelEditor, tensor: string): number | null {
  for (let name = tensor, hops = 0; hops < 16; hops++) {
    const input = model.graph.input.find((i) => i.name === name);
    if (input !== undefined) return input.type?.tensorType?.elemType ?? null;
    const producer = model.producer(name);
    if (producer === undefined) return null;
    if (producer.opType === "Cast") return castTarget(producer);
    if (!PASS_THROUGH.has(producer.opType ?? "")) return null;
    name = producer.input?.[0] ?? "";
  }
  return null;
}

/**
 * The token-embedding table: the Gather whose indices come from `idsInput` (directly or through casts and reshapes)
 * and whose data is a rank-2 initializer (directly or through a Cast, as fp16-stored tables computed in float32).
 */
export function findTokenEmbedding(model: ModelEditor, idsInput: string): TokenEmbedding | null {
  const fromIds = new Set([idsInput]);
  const pending = [idsInput];
  const gathers: Node[] = [];
  while (pending.length > 0) {
    const tensor = pending.pop()!;
    for (const node of model.consumers(tensor)) {
      if (node.opType === "Gather" && node.input?.[1] === tensor) gathers.push(node);
      else if (PASS_THROUGH.has(node.opType ?? "") && node.input?.[0] === tensor && !fromIds.has(output(node))) {
        fromIds.add(output(node));
        pending.push(output(node));
      }
    }
  }
  const found: TokenEmbedding[] = [];
  for (const gather of gathers) {
    let data = gather.input?.[0] ?? "";
    let dataType: number | null = null;
    const cast = model.producer(data);
    if (cast?.opType === "Cast" && model.initializer(cast.input?.[0] ?? "") !== undefined) {
      dataType = castTarget(cast);
      data = cast.input![0]!;
    }
    const table = model.initializer(data);
    if (table === undefined) continue;
    const dims = dimsOf(table);
    const indexType = elementTypeOf(model, gather.input?.[1] ?? "");
    if (dims.length !== 2 || indexType === null) continue;
    found.push({ table: data, vocabSize: dims[0]!, hiddenSize: dims[1]!, gather, dataType: dataType ?? table.dataType ?? 0, indexType });
  }
  return found.length === 1 ? found[0]! : null;
}

/** How a Linear or Conv module's weight is stored. */
export interface ModuleWeight {
  readonly initializer: string;
  /** The stored dims. */
  readonly dims: readonly number[];
  readonly dataType: number;
  /** True when the stored 2-D tensor is the transpose of torch's [out, in] (folded MatMul weights, Gemm with transB = 0). */
  readonly transposed: boolean;
  /** How it was found (for messages and tests). */
  readonly via: "scope" | "name";
}

const WEIGHT_OPS = new Set(["MatMul", "Gemm", "Conv"]);

/**
 * `text_model.encoder.layers.0.self_attn.q_proj` → `/text_model/encoder/layers.0/self_attn/q_proj`: torch.onnx names
 * nodes by the module scopes they were traced in, a ModuleList index staying with its list (`layers.0`, `to_out.0`).
 */
export function scopeOf(modulePath: string): string {
  const parts: string[] = [];
  for (const segment of modulePath.split(".")) {
    if (/^\d+$/.test(segment) && parts.length > 0) parts[parts.length - 1] += `.${segment}`;
    else parts.push(segment);
  }
  return `/${parts.join("/")}`;
}

/** The initializer behind `tensor` through Transposes and Casts, and whether an odd number of 2-D transposes lies between. */
function initializerBehind(model: ModelEditor, tensor: string): { name: string; transposes: number } | null {
  let name = tensor;
  let transposes = 0;
  for (let hops = 0; hops < 4; hops++) {
    if (model.initializer(name) !== undefined) return { name, transposes };
    const producer = model.producer(name);
    if (producer?.opType === "Transpose") transposes++;
    else if (producer?.opType !== "Cast" && producer?.opType !== "Identity") return null;
    name = producer.input?.[0] ?? "";
  }
  return null;
}

function weightOf(model: ModelEditor, node: Node, via: ModuleWeight["via"]): ModuleWeight | null {
  const behind = initializerBehind(model, node.input?.[1] ?? "");
  if (behind === null) return null;
  const tensor = model.initializer(behind.name)!;
  const dims = dimsOf(tensor);
  let transposed: boolean;
  if (node.opType === "MatMul") {
    // MatMul(x, W) multiplies by W as [in, out]: stored [out, in] needs a transpose on the way, [in, out] none.
    if (dims.length !== 2) return null;
    transposed = behind.transposes % 2 === 0;
  } else if (node.opType === "Gemm") {
    if (dims.length !== 2) return null;
    const transB = node.attribute?.find((a) => a.name === "transB");
    const readsTransposed = toNumber(transB?.i) === 1;
    transposed = readsTransposed === (behind.transposes % 2 === 1);
  } else {
    if (behind.transposes !== 0) return null;
    transposed = false;
  }
  return { initializer: behind.name, dims, dataType: tensor.dataType ?? 0, transposed, via };
}

/**
 * The weight of the Linear or Conv module at `modulePath` (a diffusers or transformers module path): the MatMul,
 * Gemm or Conv node traced directly in the module's scope (`/…/q_proj/MatMul`, whatever its weight initializer is
 * called: `onnx::MatMul_123` after constant folding), else an initializer named `<modulePath>.weight` read by one such
 * node. Null when neither finds exactly one.
 */
export function findModuleWeight(model: ModelEditor, modulePath: string, nodesByScope?: ReadonlyMap<string, Node[]>): ModuleWeight | null {
  const scope = scopeOf(modulePath);
  const inScope = nodesByScope?.get(scope) ?? model.nodes.filter((node) => scopeNameOf(node) === scope && WEIGHT_OPS.has(node.opType ?? ""));
  const byScope = inScope.map((node) => weightOf(model, node, "scope")).filter((w): w is ModuleWeight => w !== null);
  if (byScope.length === 1) return byScope[0]!;
  if (byScope.length > 1) return null;
  const named = `${modulePath}.weight`;
  if (model.initializer(named) === undefined) return null;
  const readers = model.nodes.filter((node) => WEIGHT_OPS.has(node.opType ?? "") && initializerBehind(model, node.input?.[1] ?? "")?.name === named);
  if (readers.length !== 1) return null;
  const weight = weightOf(model, readers[0]!, "name");
  return weight;
}

/** The scope a node was traced in: its name without the last part (`/a/b/MatMul_1` → `/a/b`), or null. */
export function scopeNameOf(node: Node): string | null {
  const name = node.name ?? "";
  const slash = name.lastIndexOf("/");
  return name.startsWith("/") && slash > 0 ? name.slice(0, slash) : null;
}

/** MatMul, Gemm and Conv nodes by the scope they were traced in, for many {@link findModuleWeight} calls. */
export function weightNodesByScope(model: ModelEditor): Map<string, Node[]> {
  const byScope = new Map<string, Node[]>();
  for (const node of model.nodes) {
    const scope = scopeNameOf(node);
    if (scope === null || !WEIGHT_OPS.has(node.opType ?? "")) continue;
    const list = byScope.get(scope);
    if (list === undefined) byScope.set(scope, [node]);
    else list.push(node);
  }
  return byScope;
}
