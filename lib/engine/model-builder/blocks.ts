import type { Scope } from "./export-graph.ts";
import { conv2d, groupNorm, linear2d, silu } from "./nn.ts";

/** Building blocks the UNet and the VAE share (diffusers resnet.py, upsampling.py, and their reshapes). */

/**
 * ResnetBlock2D: norm1 → SiLU → conv1 → + time_emb_proj(SiLU(temb)) → norm2 → SiLU → conv2, plus the input (through
 * a 1×1 conv_shortcut when the channel count changes). output_scale_factor is 1 in every SD UNet and VAE.
 */
export function resnetBlock(
  scope: Scope,
  x: string,
  inChannels: number,
  outChannels: number,
  norm: { readonly groups: number; readonly eps: number },
  time: { readonly temb: string; readonly channels: number } | null,
): string {
  const nonlinearity = scope.child("nonlinearity");
  let h = groupNorm(scope.child("norm1"), x, norm.groups, inChannels, norm.eps);
  h = silu(nonlinearity, h);
  h = conv2d(scope.child("conv1"), h, inChannels, outChannels, { kernel: 3, padding: 1 });
  if (time !== null) {
    const projected = linear2d(scope.child("time_emb_proj"), silu(nonlinearity, time.temb), time.channels, outChannels);
    h = scope.op("Add", [h, scope.op("Unsqueeze", [projected, scope.int64([2, 3])])]);
  }
  h = groupNorm(scope.child("norm2"), h, norm.groups, outChannels, norm.eps);
  h = silu(nonlinearity, h);
  h = conv2d(scope.child("conv2"), h, outChannels, outChannels, { kernel: 3, padding: 1 });
  const shortcut = inChannels === outChannels ? x : conv2d(scope.child("conv_shortcut"), x, inChannels, outChannels, { kernel: 1 });
  return scope.op("Add", [shortcut, h]);
}

/** NCHW → [B, H·W, C]. */
export function toTokens(scope: Scope, x: string, channels: number): string {
  const channelsLast = scope.op("Transpose", [x], { perm: { ints: [0, 2, 3, 1] } });
  return scope.op("Reshape", [channelsLast, scope.int64([0, -1, channels])]);
}

/** [B, H·W, C] → NCHW, with B, H, W read from the feature map `like`. */
export function toFeatureMap(scope: Scope, tokens: string, like: string, channels: number): string {
  const batch = scope.op("Shape", [like], { start: { int: 0 }, end: { int: 1 } });
  const size = scope.op("Shape", [like], { start: { int: 2 }, end: { int: 4 } });
  const shape = scope.op("Concat", [batch, size, scope.int64([channels])], { axis: { int: 0 } });
  const channelsLast = scope.op("Reshape", [tokens, shape]);
  return scope.op("Transpose", [channelsLast], { perm: { ints: [0, 3, 1, 2] } });
}

/** Upsample2D: nearest-neighbour 2× then a 3×3 conv. */
export function upsample2d(scope: Scope, x: string, channels: number): string {
  // F.interpolate(scale_factor=2.0, mode="nearest") → Resize (torch's upsample_nearest2d symbolic).
  const scales = scope.constant("float32", [4], [1, 1, 2, 2]);
  const upsampled = scope.op("Resize", [x, "", scales], {
    coordinate_transformation_mode: { string: "asymmetric" },
    cubic_coeff_a: { float: -0.75 },
    mode: { string: "nearest" },
    nearest_mode: { string: "floor" },
  });
  return conv2d(scope.child("conv"), upsampled, channels, channels, { kernel: 3, padding: 1 });
}

