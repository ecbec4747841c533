import { OnnxGraphBuilder } from "./onnx-graph-builder.ts";
import type { EncodedModel } from "./onnx-graph-builder.ts";
import { seededNormals } from "./seeded-normals.ts";
import type { TinyModelSpec } from "./variants.ts";

/** CLIP's vocabulary size and context length (docs/engine-reference.md §6.1): the embedding table is 49,408 × hidden size. */
export const CLIP_VOCAB_SIZE = 49408;
export const CLIP_MAX_LENGTH = 77;

function offsetBy(values: Float32Array, offset: number): Float32Array {
  for (let i = 0; i < values.length; i++) values[i] += offset;
  return values;
}

/**
 * A CLIP-shaped text encoder: `input_ids [B,S]` → `last_hidden_state [B,S,D]`, `pooler_output [B,D]`.
 *
 * Token plus position embedding, one residual layer that mixes in the running mean of the earlier positions (CLIP's
 * attention is causal, so each position sees only the tokens before it), a final LayerNorm. The pooled output is
 * the hidden state at the first highest token id, i.e. the first EOS, as transformers' CLIPTextTransformer does.
 */
export function buildTextEncoder(spec: TinyModelSpec, seed: number): EncodedModel {
  const hidden = spec.textHiddenSize;
  const { batch, sequence } = spec.axes;
  const b = new OnnxGraphBuilder("text_encoder");
  const weight = (name: string, dims: readonly number[], values: Float32Array) =>
    b.weight(`text_model.${name}`, dims, values, spec.floatType);
  const normals = (name: string, count: number, std: number) =>
    seededNormals(seed, `text_encoder.${name}`, count, std);

  const ids = b.input("input_ids", spec.inputIdsType, [batch, sequence]);
  const tokenTable = weight("token_embedding.weight", [CLIP_VOCAB_SIZE, hidden], normals("token", CLIP_VOCAB_SIZE * hidden, 1));
  const positionTable = weight("position_embedding.weight", [CLIP_MAX_LENGTH, hidden], normals("position", CLIP_MAX_LENGTH * hidden, 0.3));

  const length = b.op("Shape", [ids], { start: { int: 1 }, end: { int: 2 } });
  const zero = b.constantInt64("zero", [1], [0]);
  const embedded = b.op("Add", [
    b.op("Gather", [tokenTable, ids]),
    b.op("Slice", [positionTable, zero, length, zero]),
  ]);

  const counts = Array.from({ length: CLIP_MAX_LENGTH }, (_, i) => i + 1);
  const prefixCounts = b.op("Slice", [b.constantFloat("prefix_counts", [CLIP_MAX_LENGTH, 1], counts), zero, length, zero]);
  const prefixMean = b.op("Div", [b.op("CumSum", [embedded, b.constantInt64("sequence_axis", [], [1])]), prefixCounts]);
  const mixWeight = weight("mix.weight", [hidden, hidden], normals("mix", hidden * hidden, 1 / Math.sqrt(hidden)));
  const mixed = b.op("Add", [embedded, b.op("Tanh", [b.op("MatMul", [prefixMean, mixWeight])])]);

  const normScale = weight("final_layer_norm.weight", [hidden], offsetBy(normals("norm_scale", hidden, 0.1), 1));
  const normBias = weight("final_layer_norm.bias", [hidden], normals("norm_bias", hidden, 0.1));
  const lastHidden = b.op("LayerNormalization", [mixed, normScale, normBias], {
    axis: { int: -1 },
    epsilon: { float: 1e-5 },
  });
  b.floatOutput(lastHidden, "last_hidden_state", spec.floatType, [batch, sequence, hidden]);

  const eosPosition = b.op("ArgMax", [ids], { axis: { int: 1 }, keepdims: { int: 1 } });
  const pooled = b.op("GatherND", [lastHidden, eosPosition], { batch_dims: { int: 1 } });
  b.floatOutput(pooled, "pooler_output", spec.floatType, [batch, hidden]);

  return b.encode();
}
