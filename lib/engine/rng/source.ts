/**
 * A1111's `opts.randn_source` and `create_generator` (modules/rng.py). "GPU" means CUDA's `torch.randn`, which
 * no CPU can reproduce bit for bit; Serena maps it to "NV", A1111's numpy imitation of CUDA Philox, which agrees
 * with NVIDIA GPUs to about 1e-7 (docs/a1111-semantics.md §6.4).
 */
import { PhiloxGenerator } from "./philox.ts";
import type { Seed } from "./seed.ts";
import { TorchCpuGenerator } from "./torch-cpu.ts";

export const RANDN_SOURCES = ["GPU", "CPU", "NV"] as const;
export type RandnSource = (typeof RANDN_SOURCES)[number];

/** A seeded stream of standard normals; each call continues the stream. */
export interface NormalGenerator {
  randn(count: number): Float32Array;
}

export function createNormalGenerator(source: RandnSource, seed: Seed): NormalGenerator {
  return source === "CPU" ? new TorchCpuGenerator(seed) : new PhiloxGenerator(seed);
}
