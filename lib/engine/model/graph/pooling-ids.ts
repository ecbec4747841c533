/**
 * Textual-inversion rows and the pooled output. appendTokenRows (text-encoder-edits.ts) gives an embedding's
 * positions ids past the vocabulary, so that the token lookup reads its vectors. A1111 instead writes token id 0 at
 * those positions and puts the vectors in after the lookup (sd_hijack_clip.py `tokenize_line`: `chunk.tokens +=
 * [0] * emb_len`; sd_hijack.py `EmbeddingsWithFixes`), and CLIP pools at the argmax of the ids — the first
 * end-of-text token (transformers CLIPTextTransformer: `input_ids.to(torch.int).argmax(dim=-1)`). So that a derived
 * encoder pools where A1111's does (SDXL's text_encoder_2 `text_embeds`), the argmax reads the ids with 0 wherever
 * they are past the vocabulary.
 */
import type { onnx as OnnxTypes } from "onnx-proto";
import type { ModelEditor } from "./model-editor.ts";
import { DataType } from "./tensor-data.ts";

const ATTRIBUTE_TENSOR = 4;

/** Rewires every ArgMax of `idsInput` (directly or through Casts) to `Where(ids ≥ vocabSize, 0, ids)`; returns how many. */
export function poolAtTableIds(model: ModelEditor, idsInput: string, vocabSize: number): number {
  const input = model.graph.input.find((value) => value.name === idsInput);
  const dataType = input?.type?.tensorType?.elemType === DataType.INT32 ? DataType.INT32 : DataType.INT64;
  const added: OnnxTypes.INodeProto[] = [];
  const constant = (value: number) => {
    const name = model.freshName("pooling_ids/constant");
    const rawData = dataType === DataType.INT32 ? new Uint8Array(Int32Array.of(value).buffer) : new Uint8Array(BigInt64Array.of(BigInt(value)).buffer);
    added.push({ name, opType: "Constant", output: [name], attribute: [{ name: "value", type: ATTRIBUTE_TENSOR, t: { dims: [], dataType, rawData } }] });
    return name;
  };
  const past = model.freshName("pooling_ids/past_vocabulary");
  const clamped = model.freshName("pooling_ids/ids");
  const [vocab, zero] = [constant(vocabSize), constant(0)];
  added.push({ name: past, opType: "GreaterOrEqual", input: [idsInput, vocab], output: [past] });
  added.push({ name: clamped, opType: "Where", input: [past, zero, idsInput], output: [clamped] });

  // The first reader on each ArgMax's way back to the ids (through Casts only).
  const readers = new Set<OnnxTypes.INodeProto>();
  for (const node of model.graph.node) {
    if (node.opType !== "ArgMax") continue;
    let reader: OnnxTypes.INodeProto | undefined = node;
    while (reader !== undefined && reader.input?.[0] !== idsInput) {
      const producer = model.producer(reader.input?.[0] ?? "");
      reader = producer?.opType === "Cast" ? producer : undefined;
    }
    if (reader !== undefined) readers.add(reader);
  }
  for (const reader of readers) reader.input = (reader.input ?? []).map((name) => (name === idsInput ? clamped : name));
  // They read only the graph input and constants: first in the graph keeps it topologically sorted.
  if (readers.size > 0) model.graph.node.unshift(...(added as OnnxTypes.NodeProto[]));
  return readers.size;
}
