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

/** Which of an SDXL folder's encoders to build, and how. */
export interface TextEncoderShape {
  readonly component: "text_encoder" | "text_encoder_2";
  readonly hidden: number;
  /** Residual mixing layers (SD 1.x/2.x variants: 1). */
  readonly layers: number;
  /** Also output `hidden_states.0` … `hidden_states.layers` (optimum's output_hidden_states). */
  readonly hiddenStates: boolean;
  /** CLIPTextModelWithProjection: `text_embeds` of this width instead of `pooler_output`. */
  readonly projection: number | null;
}

/** The SD 1.x/2.x variants' single encoder; SDXL variants have two, each with two layers and hidden states. */
export function textEncoderShapes(spec: TinyModelSpec): TextEncoderShape[] {
  const sdxl = spec.sdxl;
  if (sdxl === undefined) return [{ component: "text_encoder", hidden: spec.textHiddenSize, layers: 1, hiddenStates: false, projection: null }];
  const second: TextEncoderShape = { component: "text_encoder_2", hidden: sdxl.textHiddenSize2, layers: 2, hiddenStates: true, projection: sdxl.pooledWidth };
  return sdxl.refiner ? [second] : [{ component: "text_encoder", hidden: spec.textHiddenSize, layers: 2, hiddenStates: true, projection: null }, second];
}

/**
 * A CLIP-shaped text encoder: `input_ids [B,S]` → `last_hidden_state [B,S,D]`, `pooler_output [B,D]`.
 *
 * Token plus position embedding, residual layers that mix in the running mean of the earlier positions (CLIP's
 * attention is causal, so each position sees only the tokens before it), a final LayerNorm. The pooled output is
 * the hidden state at the first highest token id, i.e. the first EOS, as transformers' CLIPTextTransformer does.
 * As SDXL's encoders (`shape`): `hidden_states.0..N` outputs (the embeddings, then each layer's output, the last
 * one before the final LayerNorm), and for text_encoder_2 a projected pooled output `text_embeds` in optimum's
 * CLIPTextWithProjection output order (text_embeds, last_hidden_state, hidden states).
 */
export function buildTextEncoder(spec: TinyModelSpec, seed: number, shape: TextEncoderShape = textEncoderShapes(spec)[0]!): EncodedModel {
  const hidden = shape.hidden;
  const { batch, sequence } = spec.axes;
  const b = new OnnxGraphBuilder(shape.component);
  const weight = (name: string, dims: readonly number[], values: Float32Array) =>
    b.weight(`text_model.${name}`, dims, values, spec.floatType);
  const normals = (name: string, count: number, std: number) =>
    seededNormals(seed, `${shape.component}.${name}`, count, std);

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
  const states = [embedded];
  for (let layer = 0; layer < shape.layers; layer++) {
    // Layer 0 keeps the SD 1.x/2.x variants' weight name (and so their weights).
    const name = layer === 0 ? "mix" : `mix${layer + 1}`;
    const input = states[layer]!;
    const running = layer === 0 ? prefixMean : b.op("Div", [b.op("CumSum", [input, b.constantInt64(`sequence_axis_${layer}`, [], [1])]), prefixCounts]);
    const mixWeight = weight(`${name}.weight`, [hidden, hidden], normals(name, hidden * hidden, 1 / Math.sqrt(hidden)));
    states.push(b.op("Add", [input, b.op("Tanh", [b.op("MatMul", [running, mixWeight])])]));
  }
  const mixed = states[shape.layers]!;

  const normScale = weight("final_layer_norm.weight", [hidden], offsetBy(normals("norm_scale", hidden, 0.1), 1));
  const normBias = weight("final_layer_norm.bias", [hidden], normals("norm_bias", hidden, 0.1));
  const lastHidden = b.op("LayerNormalization", [mixed, normScale, normBias], {
    axis: { int: -1 },
    epsilon: { float: 1e-5 },
  });
  const eosPosition = b.op("ArgMax", [ids], { axis: { int: 1 }, keepdims: { int: 1 } });
  const pooled = b.op("GatherND", [lastHidden, eosPosition], { batch_dims: { int: 1 } });
  if (shape.projection === null) {
    b.floatOutput(lastHidden, "last_hidden_state", spec.floatType, [batch, sequence, hidden]);
    b.floatOutput(pooled, "pooler_output", spec.floatType, [batch, hidden]);
  } else {
    const projection = b.weight("text_projection.weight", [hidden, shape.projection], normals("projection", hidden * shape.projection, 1 / Math.sqrt(hidden)), spec.floatType);
    b.floatOutput(b.op("MatMul", [pooled, projection]), "text_embeds", spec.floatType, [batch, shape.projection]);
    b.floatOutput(lastHidden, "last_hidden_state", spec.floatType, [batch, sequence, hidden]);
  }
  if (shape.hiddenStates) states.forEach((state, i) => b.floatOutput(state, `hidden_states.${i}`, spec.floatType, [batch, sequence, hidden]));

  return b.encode();
}
