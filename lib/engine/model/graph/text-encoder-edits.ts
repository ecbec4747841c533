/**
 * Changes to a CLIP text encoder graph (transformers CLIPTextModel as exported to ONNX):
 *
 * - clip skip outputs: A1111's `CLIP_stop_at_last_layers` n > 1 encodes with `hidden_states[-n]` passed through the
 *   text model's `final_layer_norm` (modules/sd_hijack_clip.py `FrozenCLIPEmbedderWithCustomWords.
 *   encode_with_transformers`). Exports with `hidden_states.N` outputs (optimum with output_hidden_states) have the
 *   tensor by name; others (most SD 1.x exports output only `last_hidden_state`) have it inside the graph, found by
 *   walking back from the final layer norm along the residual Adds (structure.ts). Either way the final layer norm is
 *   cloned onto it — its nodes and its own weights, so the result is what the export computes for clip skip 1, one
 *   layer earlier;
 * - token rows: textual-inversion vectors added to the token-embedding table, so token ids vocab, vocab + 1, …
 *   stand for them (A1111 replaces the token embeddings at the embedding's positions, sd_hijack.py
 *   `EmbeddingsWithFixes`; a table row read by the lookup is the same value at the same place).
 */
import type { onnx as OnnxTypes } from "onnx-proto";
import type { ModelEditor } from "./model-editor.ts";
import { finalNormRegion, findTokenEmbedding, residualStream } from "./structure.ts";
import { DataType, toNumber } from "./tensor-data.ts";

/** The graph output holding the encoding for clip skip n. */
export const clipSkipOutput = (n: number): string => `serena_clip_skip.${n}`;

/** A text encoder graph that lacks the structure an edit needs. */
export class GraphStructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GraphStructureError";
  }
}

export interface ClipSkipOutputs {
  /** Encoder layers found (CLIP ViT-L: 12). */
  readonly layers: number;
  /** Where the hidden states came from. */
  readonly via: "hidden_states outputs" | "residual stream";
  /** The largest clip skip served: layers + 1 (the embeddings' output). */
  readonly maxClipSkip: number;
}

/** Clones `nodes` with `from` replaced by `to`; the clone of `output` is the new graph output `name`. */
function cloneRegion(model: ModelEditor, nodes: readonly OnnxTypes.INodeProto[], from: string, to: string, output: string, name: string): void {
  const renamed = new Map<string, string>([[from, to]]);
  for (const node of nodes) {
    const outputs = (node.output ?? []).map((value) => {
      const fresh = value === output ? name : model.freshName(`${name}/${node.opType}`);
      renamed.set(value, fresh);
      return fresh;
    });
    model.addNode({
      name: model.freshName(`${name}/${node.name ?? node.opType}`),
      opType: node.opType,
      domain: node.domain,
      input: (node.input ?? []).map((value) => renamed.get(value) ?? value),
      output: outputs,
      attribute: node.attribute,
    });
  }
}

/**
 * Adds `serena_clip_skip.n` for every n from 2 to layers + 1. `useHiddenStateOutputs` false ignores `hidden_states.N`
 * outputs and walks the residual stream even where they exist (tests compare the two).
 */
export function addClipSkipOutputs(model: ModelEditor, options: { outputName: string; useHiddenStateOutputs: boolean }): ClipSkipOutputs {
  const lastOutput = model.graph.output.find((o) => o.name === options.outputName);
  if (lastOutput === undefined) throw new GraphStructureError(`the text encoder has no output ${options.outputName}`);
  const norm = finalNormRegion(model, options.outputName);
  if (norm === null) throw new GraphStructureError(`no layer norm found before ${options.outputName}`);

  const hiddenOutputs = new Map<number, string>();
  for (const out of model.graph.output) {
    const match = /^hidden_states\.(\d+)$/.exec(out.name ?? "");
    if (match !== null) hiddenOutputs.set(Number(match[1]), out.name!);
  }
  let hidden: string[];
  let via: ClipSkipOutputs["via"];
  if (options.useHiddenStateOutputs && hiddenOutputs.size > 1) {
    const layers = hiddenOutputs.size - 1;
    if (![...hiddenOutputs.keys()].every((k) => k <= layers)) throw new GraphStructureError("hidden_states outputs are not numbered 0…N");
    // hidden_states[L] is the last layer's output, the final layer norm's input (transformers CLIPEncoder).
    hidden = Array.from({ length: layers + 1 }, (_, k) => hiddenOutputs.get(k)!);
    via = "hidden_states outputs";
  } else {
    const stream = residualStream(model, norm.input);
    // Two residual Adds per layer: [h_L, mid, h_(L−1), …, mid, h_0].
    if (stream.length < 3 || stream.length % 2 === 0) {
      throw new GraphStructureError(`the residual stream before the final layer norm is ${stream.length} tensors long; a pre-norm transformer gives 2·layers + 1`);
    }
    hidden = stream.filter((_, i) => i % 2 === 0).reverse();
    via = "residual stream";
  }
  const layers = hidden.length - 1;
  for (let n = 2; n <= layers + 1; n++) {
    const name = clipSkipOutput(n);
    cloneRegion(model, norm.nodes, norm.input, hidden[layers + 1 - n]!, norm.output, name);
    model.addOutput({ ...lastOutput, name });
  }
  return { layers, via, maxClipSkip: layers + 1 };
}

/** The default ONNX domain's opset of the model. */
function opset(model: ModelEditor): number {
  const entry = model.skeleton.model.opsetImport?.find((o) => !o.domain || o.domain === "ai.onnx");
  return toNumber(entry?.version);
}

/** A Constant node holding one integer of `dataType` (int32 or int64). */
function integerConstant(model: ModelEditor, value: number, dataType: number): string {
  const name = model.freshName("token_rows/constant");
  const rawData = dataType === DataType.INT32 ? new Uint8Array(Int32Array.of(value).buffer) : new Uint8Array(BigInt64Array.of(BigInt(value)).buffer);
  model.addNode({ name, opType: "Constant", output: [name], attribute: [{ name: "value", type: ATTRIBUTE_TENSOR, t: { dims: [], dataType, rawData } }] });
  return name;
}

const ATTRIBUTE_INTS = 7;
const ATTRIBUTE_TENSOR = 4;

/**
 * Gives the token-embedding table read from `idsInput` `count` more rows ([count, hidden], row-major): token ids
 * vocab … vocab + count − 1 then read them. Rather than rewriting a table of vocab × hidden values (152 MB for CLIP-L)
 * the rows are a second, small table: ids ≥ vocab are looked up there (`Where(ids ≥ vocab, extra[ids − vocab],
 * table[ids])`), which is the same lookup as one longer table. Returns the vocabulary size.
 */
export async function appendTokenRows(model: ModelEditor, idsInput: string, rows: Float32Array, count: number): Promise<number> {
  const embedding = findTokenEmbedding(model, idsInput);
  if (embedding === null) throw new GraphStructureError(`no token-embedding table (a Gather of a [vocab, hidden] initializer by ${idsInput}) found`);
  if (rows.length !== count * embedding.hiddenSize) {
    throw new RangeError(`${count} rows of ${embedding.hiddenSize} values expected, got ${rows.length} values`);
  }
  const { gather, vocabSize, indexType } = embedding;
  const before = model.graph.node.length;
  const node = (opType: string, input: string[], attribute: OnnxTypes.IAttributeProto[] = []) => {
    const out = model.freshName(`token_rows/${opType}`);
    model.addNode({ name: out, opType, input, output: [out], attribute });
    return out;
  };
  const extra = model.freshName("token_rows/table");
  await model.setInitializer({ name: extra, dims: [count, embedding.hiddenSize], dataType: embedding.dataType }, rows);
  const ids = gather.input![1]!;
  const looked = gather.output![0]!;
  const vocab = integerConstant(model, vocabSize, indexType);
  const zero = integerConstant(model, 0, indexType);
  const isExtra = node("GreaterOrEqual", [ids, vocab]);
  const extraIds = node("Where", [isExtra, node("Sub", [ids, vocab]), zero]);
  const tableIds = node("Where", [isExtra, zero, ids]);
  const extraRows = node("Gather", [extra, extraIds], [{ name: "axis", type: 2, i: 0 }]);
  // Unsqueeze takes its axes as an input from opset 13 on, as an attribute before.
  const mask =
    opset(model) >= 13
      ? node("Unsqueeze", [isExtra, integerConstantList(model, [-1])])
      : node("Unsqueeze", [isExtra], [{ name: "axes", type: ATTRIBUTE_INTS, ints: [-1] }]);
  // Every reader of the table lookup now reads the joined lookup; the table itself is read at in-range ids only.
  const joined = model.freshName("token_rows/joined");
  for (const reader of [...model.consumers(looked)]) {
    reader.input = (reader.input ?? []).map((name) => (name === looked ? joined : name));
  }
  for (const out of model.graph.output) if (out.name === looked) throw new GraphStructureError("the token lookup is itself a graph output");
  model.addNode({ name: joined, opType: "Where", input: [mask, extraRows, looked], output: [joined] });
  gather.input![1] = tableIds;
  // The nodes were appended after every node: move them (in order) to just before the table's Gather, whose
  // indices they now compute, so the graph stays topologically sorted — except the join, which reads the Gather.
  const nodes = model.graph.node;
  const added = nodes.splice(before);
  const join = added.pop()!;
  const at = nodes.indexOf(gather as OnnxTypes.NodeProto);
  nodes.splice(at, 0, ...added);
  nodes.splice(nodes.indexOf(gather as OnnxTypes.NodeProto) + 1, 0, join);
  return vocabSize;
}

/** A Constant node holding an int64 vector. */
function integerConstantList(model: ModelEditor, values: readonly number[]): string {
  const name = model.freshName("token_rows/axes");
  const rawData = new Uint8Array(BigInt64Array.from(values, BigInt).buffer);
  model.addNode({ name, opType: "Constant", output: [name], attribute: [{ name: "value", type: ATTRIBUTE_TENSOR, t: { dims: [values.length], dataType: DataType.INT64, rawData } }] });
  return name;
}
