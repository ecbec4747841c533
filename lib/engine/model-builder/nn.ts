import type { Scope } from "./export-graph.ts";
import { EMBEDDING_INIT, ONES, torchDefaultInit, ZEROS } from "./weights.ts";

/**
 * torch.nn layers as torch.onnx (opset 17) exports them, each in its own module scope. Values are NCHW feature maps
 * or [batch, tokens, channels] sequences of the graph's float type.
 */

/**
 * nn.Linear on the last axis of a 3-D input: MatMul with the (transposed) weight, then `Add(bias, ·)`. The weight
 * follows the graph's LinearWeightLayout.
 */
export function linear(scope: Scope, x: string, inFeatures: number, outFeatures: number, bias = true): string {
  const init = torchDefaultInit(inFeatures);
  const weight = scope.parameter("weight", [outFeatures, inFeatures], init, "linear", "MatMul");
  const product = scope.op("MatMul", [x, weight]);
  if (!bias) return product;
  return scope.op("Add", [scope.parameter("bias", [outFeatures], init), product]);
}

/**
 * nn.Linear on a 2-D input ([batch, features]): torch exports it as one Gemm with transB = 1, which reads the weight
 * [out, in] as it is, so the weight keeps its name in both layouts (the UNet's time embedding and time_emb_proj).
 */
export function linear2d(scope: Scope, x: string, inFeatures: number, outFeatures: number): string {
  const init = torchDefaultInit(inFeatures);
  const weight = scope.parameter("weight", [outFeatures, inFeatures], init);
  const bias = scope.parameter("bias", [outFeatures], init);
  return scope.op("Gemm", [x, weight, bias], { alpha: { float: 1 }, beta: { float: 1 }, transB: { int: 1 } });
}

export interface ConvOptions {
  readonly kernel: number;
  readonly stride?: number;
  readonly padding?: number;
}

/** nn.Conv2d with bias. */
export function conv2d(scope: Scope, x: string, inChannels: number, outChannels: number, options: ConvOptions): string {
  const { kernel, stride = 1, padding = 0 } = options;
  const init = torchDefaultInit(inChannels * kernel * kernel);
  const weight = scope.parameter("weight", [outChannels, inChannels, kernel, kernel], init);
  const bias = scope.parameter("bias", [outChannels], init);
  return scope.op("Conv", [x, weight, bias], {
    dilations: { ints: [1, 1] },
    group: { int: 1 },
    kernel_shape: { ints: [kernel, kernel] },
    pads: { ints: [padding, padding, padding, padding] },
    strides: { ints: [stride, stride] },
  });
}

/**
 * nn.GroupNorm on NCHW, as torch's symbolic (torch/onnx/symbolic_opset9.py, group_norm) writes it: the ONNX
 * GroupNormalization op only exists from opset 18 (and its scale/bias were per group until opset 21), so the
 * exporter reshapes to [N, G, −1], applies InstanceNormalization with unit scale and zero shift, reshapes back and
 * applies the per-channel affine transform. (onnxruntime-node 1.30's CPU provider does run GroupNormalization in
 * opset 18 and 21 models; these graphs are opset 17, like the SD exports they imitate.)
 */
export function groupNorm(scope: Scope, x: string, groups: number, channels: number, eps: number): string {
  const grouped = scope.op("Reshape", [x, scope.int64([0, groups, -1])]);
  const type = scope.graph.floatType;
  const unit = scope.constant(type, [groups], new Array<number>(groups).fill(1));
  const zero = scope.constant(type, [groups], new Array<number>(groups).fill(0));
  const normalized = scope.op("InstanceNormalization", [grouped, unit, zero], { epsilon: { float: eps } });
  const restored = scope.op("Reshape", [normalized, scope.op("Shape", [x])]);
  const scaled = scope.op("Mul", [restored, scope.parameter("weight", [channels], ONES, "channel", "Mul")]);
  return scope.op("Add", [scaled, scope.parameter("bias", [channels], ZEROS, "channel", "Add")]);
}

/** nn.LayerNorm over the last axis (LayerNormalization, opset 17). */
export function layerNorm(scope: Scope, x: string, channels: number, eps: number): string {
  const weight = scope.parameter("weight", [channels], ONES);
  const bias = scope.parameter("bias", [channels], ZEROS);
  return scope.op("LayerNormalization", [x, weight, bias], { axis: { int: -1 }, epsilon: { float: eps } });
}

/** nn.Embedding lookup. */
export function embedding(scope: Scope, ids: string, count: number, dim: number): string {
  return scope.op("Gather", [scope.parameter("weight", [count, dim], EMBEDDING_INIT), ids]);
}

/** SiLU, exported at opset 17 as x · sigmoid(x). */
export function silu(scope: Scope, x: string): string {
  return scope.op("Mul", [x, scope.op("Sigmoid", [x])]);
}

/** Exact (erf) GELU as torch exports it below opset 20: x · ½ · (1 + erf(x / √2)). */
export function gelu(scope: Scope, x: string): string {
  const erf = scope.op("Erf", [scope.op("Div", [x, scope.scalar(Math.SQRT2)])]);
  const gate = scope.op("Add", [erf, scope.scalar(1)]);
  return scope.op("Mul", [scope.op("Mul", [x, gate]), scope.scalar(0.5)]);
}

/** CLIP's quick_gelu: x · sigmoid(1.702 x) (transformers activations.QuickGELUActivation). */
export function quickGelu(scope: Scope, x: string): string {
  return scope.op("Mul", [x, scope.op("Sigmoid", [scope.op("Mul", [x, scope.scalar(1.702)])])]);
}

/** [B, S, heads·d] → [B, heads, S, d]. */
function splitHeads(scope: Scope, x: string, heads: number, headDim: number): string {
  const split = scope.op("Reshape", [x, scope.int64([0, 0, heads, headDim])]);
  return scope.op("Transpose", [split], { perm: { ints: [0, 2, 1, 3] } });
}

/** [B, heads, S, d] → [B, S, heads·d]. */
function mergeHeads(scope: Scope, x: string, heads: number, headDim: number): string {
  const merged = scope.op("Transpose", [x], { perm: { ints: [0, 2, 1, 3] } });
  return scope.op("Reshape", [merged, scope.int64([0, 0, heads * headDim])]);
}

export interface AttentionProjections {
  readonly q: string;
  readonly k: string;
  readonly v: string;
}

/**
 * Scaled dot-product attention over projected q, k, v ([B, S, heads·d]): softmax(q·kᵀ·scale + mask)·v, merged back to
 * [B, S, heads·d]. `scaleQuery` multiplies q by the scale before the product (transformers CLIPAttention) instead
 * of scaling the scores (diffusers' attention processors); `mask` is added to the scores.
 */
export function scaledDotProductAttention(
  scope: Scope,
  projections: AttentionProjections,
  heads: number,
  headDim: number,
  options: { readonly scaleQuery?: boolean; readonly mask?: string } = {},
): string {
  const scale = scope.scalar(1 / Math.sqrt(headDim));
  let q = splitHeads(scope, projections.q, heads, headDim);
  if (options.scaleQuery === true) q = scope.op("Mul", [q, scale]);
  const kT = scope.op("Transpose", [scope.op("Reshape", [projections.k, scope.int64([0, 0, heads, headDim])])], {
    perm: { ints: [0, 2, 3, 1] },
  });
  const v = splitHeads(scope, projections.v, heads, headDim);
  let scores = scope.op("MatMul", [q, kT]);
  if (options.scaleQuery !== true) scores = scope.op("Mul", [scores, scale]);
  if (options.mask !== undefined) scores = scope.op("Add", [scores, options.mask]);
  const probabilities = scope.op("Softmax", [scores], { axis: { int: -1 } });
  return mergeHeads(scope, scope.op("MatMul", [probabilities, v]), heads, headDim);
}
