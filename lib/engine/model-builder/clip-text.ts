import { checkClipTextConfig } from "./configs.ts";
import type { ClipTextConfig } from "./configs.ts";
import { ExportGraph } from "./export-graph.ts";
import type { GraphOptions, Scope } from "./export-graph.ts";
import { embedding, gelu, layerNorm, linear, quickGelu, scaledDotProductAttention } from "./nn.ts";

/**
 * transformers' CLIPTextModel (src/transformers/models/clip/modeling_clip.py: CLIPTextTransformer, CLIPEncoderLayer,
 * CLIPAttention, CLIPMLP) as optimum exports it: `input_ids` int64 [B, S] → `last_hidden_state` [B, S, D] and
 * `pooler_output` [B, D] (CLIPTextModelWithProjection: `text_embeds` [B, P] first, no `pooler_output`); with `hiddenStates`, also `hidden_states.0` … `hidden_states.N` (optimum's
 * output_hidden_states: the embeddings, then each layer's output; the last one precedes final_layer_norm). A1111's
 * "clip skip" n reads hidden_states.(N − n + 1) and applies final_layer_norm itself.
 */

const AXES = { batch: "batch_size", sequence: "sequence_length" } as const;

export interface TextEncoderOptions {
  /** Also output every hidden state (`hidden_states.0..N`). */
  readonly hiddenStates?: boolean;
  /**
   * transformers' CLIPTextModelWithProjection (SDXL's text_encoder_2): the pooled output goes through
   * `text_projection` (a Linear without bias, at the top level, not under text_model), and the outputs are
   * optimum's CLIPTextWithProjectionOnnxConfig's: `text_embeds` [B, projection_dim], `last_hidden_state`, then the
   * hidden states.
   */
  readonly withProjection?: boolean;
}

/** The most negative finite value of the float type, which transformers' causal mask puts above the diagonal. */
function maskValue(graph: ExportGraph): number {
  return graph.floatType === "float32" ? -3.4028234663852886e38 : -65504;
}

/** Causal mask [S, S] sliced from a constant [max, max]: 0 on and below the diagonal, the float minimum above. */
function causalMask(scope: Scope, ids: string, maxLength: number, value: number): string {
  const mask = new Array<number>(maxLength * maxLength).fill(0);
  for (let row = 0; row < maxLength; row++) {
    for (let column = row + 1; column < maxLength; column++) mask[row * maxLength + column] = value;
  }
  const full = scope.constant(scope.graph.floatType, [maxLength, maxLength], mask);
  const length = scope.op("Shape", [ids], { start: { int: 1 }, end: { int: 2 } });
  const zeros = scope.int64([0, 0]);
  return scope.op("Slice", [full, zeros, scope.op("Concat", [length, length], { axis: { int: 0 } }), scope.int64([0, 1])]);
}

function encoderLayer(scope: Scope, x: string, config: ClipTextConfig, mask: string): string {
  const dim = config.hidden_size;
  const heads = config.num_attention_heads;
  const attention = scope.child("self_attn");
  const normalized = layerNorm(scope.child("layer_norm1"), x, dim, config.layer_norm_eps);
  const projections = {
    q: linear(attention.child("q_proj"), normalized, dim, dim),
    k: linear(attention.child("k_proj"), normalized, dim, dim),
    v: linear(attention.child("v_proj"), normalized, dim, dim),
  };
  const attended = scaledDotProductAttention(attention, projections, heads, dim / heads, { scaleQuery: true, mask });
  const h = scope.op("Add", [x, linear(attention.child("out_proj"), attended, dim, dim)]);
  const mlp = scope.child("mlp");
  const fc1 = linear(mlp.child("fc1"), layerNorm(scope.child("layer_norm2"), h, dim, config.layer_norm_eps), dim, config.intermediate_size);
  const activated = config.hidden_act === "quick_gelu" ? quickGelu(mlp.child("activation_fn"), fc1) : gelu(mlp.child("activation_fn"), fc1);
  return scope.op("Add", [h, linear(mlp.child("fc2"), activated, config.intermediate_size, dim)]);
}

export function buildTextEncoderGraph(config: ClipTextConfig, options: GraphOptions, textOptions: TextEncoderOptions = {}): ExportGraph {
  checkClipTextConfig(config);
  const graph = new ExportGraph("main_graph", options);
  const type = options.floatType;
  const dim = config.hidden_size;
  const model = graph.root().child("text_model");
  const ids = graph.input("input_ids", "int64", [AXES.batch, AXES.sequence]);

  const embeddings = model.child("embeddings");
  const tokens = embedding(embeddings.child("token_embedding"), ids, config.vocab_size, dim);
  // position_ids = arange(max_position_embeddings)[:, :S]: the first S rows of the position table.
  const positionIds = embeddings.op("Slice", [
    embeddings.constant("int64", [1, config.max_position_embeddings], Array.from({ length: config.max_position_embeddings }, (_, i) => i)),
    embeddings.int64([0]),
    embeddings.op("Shape", [ids], { start: { int: 1 }, end: { int: 2 } }),
    embeddings.int64([1]),
  ]);
  const positions = embedding(embeddings.child("position_embedding"), positionIds, config.max_position_embeddings, dim);
  let h = embeddings.op("Add", [tokens, positions]);

  const mask = causalMask(model, ids, config.max_position_embeddings, maskValue(graph));
  const hidden: string[] = [h];
  const encoder = model.child("encoder");
  for (let i = 0; i < config.num_hidden_layers; i++) {
    h = encoderLayer(encoder.child(`layers.${i}`), h, config, mask);
    hidden.push(h);
  }
  const last = layerNorm(model.child("final_layer_norm"), h, dim, config.layer_norm_eps);
  // pooled_output = last_hidden_state[arange(B), input_ids.argmax(-1)]: the first EOS, the highest id (eos_token_id 2
  // in these configs selects this legacy rule in CLIPTextTransformer.forward).
  const eos = model.op("ArgMax", [ids], { axis: { int: -1 }, keepdims: { int: 1 } });
  const pooled = model.op("GatherND", [last, eos], { batch_dims: { int: 1 } });

  if (textOptions.withProjection === true) {
    const projected = linear(graph.root().child("text_projection"), pooled, dim, config.projection_dim, false);
    // optimum marks text_embeds' axis 1 "sequence_length" (CLIPTextWithProjectionOnnxConfig.outputs), so exports
    // carry a symbolic width there: the pooled width is read from the UNet's text_embeds input instead.
    graph.output(projected, "text_embeds", type, [AXES.batch, AXES.sequence]);
    graph.output(last, "last_hidden_state", type, [AXES.batch, AXES.sequence, dim]);
  } else {
    graph.output(last, "last_hidden_state", type, [AXES.batch, AXES.sequence, dim]);
    graph.output(pooled, "pooler_output", type, [AXES.batch, dim]);
  }
  if (textOptions.hiddenStates === true) {
    hidden.forEach((value, i) => graph.output(value, `hidden_states.${i}`, type, [AXES.batch, AXES.sequence, dim]));
  }
  return graph;
}
