/**
 * LoRA weights merged into a component graph: for each module a LoRA file names, the weight of that Linear or Conv
 * layer is found in the ONNX graph by module-scoped structure (graph/structure.ts `findModuleWeight`: the MatMul,
 * Gemm or Conv traced in the module's scope, whatever its initializer is called, or an initializer named after the
 * module) and A1111's delta is added to it: `multiplier · alpha/rank · up·down` (lib/engine/networks/lora-format.ts
 * `loraDelta`; extensions-builtin/Lora/network_lora.py). Where A1111 applies the LoRA to the module's weight and the
 * element counts agree it reshapes the delta to the weight (network.py `finalize_updown`), so a 2-D delta fits a
 * 1×1 Conv; other shape mismatches are skipped, as A1111 skips a module whose update fails.
 *
 * The sum is formed in float32 (each delta is computed in float64 and rounded once) and rounded to the weight's own
 * type once, float16 to nearest even as torch's `.half()`. Folded MatMul weights are stored [in, out], the
 * transpose of torch's [out, in]; the delta is added transposed. One weight is read, patched and written at a
 * time, so patching a UNet costs its largest tensor in memory, not the UNet.
 */
import { stat } from "node:fs/promises";
import { a1111FusedAttentionFilter, loraDelta, readLoraFile, type LoraModule, type LoraTarget } from "../networks/lora-format.ts";
import { NetworkFileError } from "../networks/network-file-error.ts";
import type { ModelEditor } from "./graph/model-editor.ts";
import { findModuleWeight, weightNodesByScope, type ModuleWeight } from "./graph/structure.ts";
import { elementCount } from "./graph/tensor-data.ts";

/** One LoRA file applied to a component at a multiplier. */
export interface AppliedLora {
  /** The file's identity (path, size, modification time): equal ids, equal weights. */
  readonly id: string;
  /** The file, for messages. */
  readonly path: string;
  readonly multiplier: number;
  /** A1111's `dyn`: keep only the first dynDim ranks; null keeps all. */
  readonly dynDim: number | null;
  /** The file's modules (read only when a patched model has to be written). */
  readonly modules: () => Promise<readonly LoraModule[]>;
}

export interface LoraPatchReport {
  /** Weights changed. */
  readonly patchedWeights: number;
  /** Modules applied. */
  readonly appliedModules: number;
  /** Modules whose layer the graph does not have (or has ambiguously), by the key the file uses. */
  readonly unmatched: string[];
  /** Modules whose delta does not fit their weight. */
  readonly mismatched: string[];
  /** Modules left out by A1111's fused-attention rule (SD 2.x text encoders). */
  readonly dropped: string[];
  /** Per LoRA file (by path): its modules for this component that were applied, and those that fit no layer. */
  readonly files: Record<string, { applied: number; unapplied: number }>;
}

/**
 * The LoRA files none of whose modules for this component fit a layer of it (a LoRA for another model family, such as
 * an SDXL LoRA on SD 1.5). A1111 logs such a file at debug level and carries on; Serena refuses it, since the image
 * would silently be the one without the LoRA.
 */
export function unappliedLoraFiles(report: LoraPatchReport): string[] {
  return Object.entries(report.files ?? {})
    .filter(([, counts]) => counts.applied === 0 && counts.unapplied > 0)
    .map(([path]) => path);
}

/** A stable description of a set of applied LoRAs, for cache keys: sorted, so the order of tags does not matter. */
export function loraKey(applied: readonly AppliedLora[]): string[] {
  return applied.map((lora) => `${lora.id}@${lora.multiplier}${lora.dynDim === null ? "" : `/dyn${lora.dynDim}`}`).sort();
}

function addDelta(values: Float32Array, delta: Float32Array, weight: ModuleWeight): void {
  if (!weight.transposed) {
    for (let i = 0; i < values.length; i++) values[i]! += delta[i]!;
    return;
  }
  // Stored [in, out]; the delta is torch's [out, in].
  const [inputs, outputs] = weight.dims as [number, number];
  for (let o = 0; o < outputs; o++) {
    for (let i = 0; i < inputs; i++) values[i * outputs + o]! += delta[o * inputs + i]!;
  }
}

/**
 * Merges `applied` (in id order) into the `target` component of `model`. `fusedAttention` applies A1111's rule for
 * OpenCLIP text encoders (SD 2.x), whose q/k/v/out LoRA A1111 applies only as a complete set per layer.
 */
export async function applyLoras(model: ModelEditor, target: LoraTarget, applied: readonly AppliedLora[], options: { fusedAttention: boolean }): Promise<LoraPatchReport> {
  const byScope = weightNodesByScope(model);
  const plan = new Map<string, { weight: ModuleWeight; parts: { module: LoraModule; lora: AppliedLora }[] }>();
  const report = { patchedWeights: 0, appliedModules: 0, unmatched: [] as string[], mismatched: [] as string[], dropped: [] as string[], files: {} as LoraPatchReport["files"] };
  const count = (lora: AppliedLora, applied: boolean) => {
    const counts = (report.files[lora.path] ??= { applied: 0, unapplied: 0 });
    if (applied) counts.applied++;
    else counts.unapplied++;
  };
  const ordered = [...applied].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.multiplier - b.multiplier));
  for (const lora of ordered) {
    let modules = (await lora.modules()).filter((module) => module.target === target);
    if (options.fusedAttention) {
      const { kept, dropped } = a1111FusedAttentionFilter(modules, [target]);
      modules = kept;
      report.dropped.push(...dropped.map((module) => module.key));
    }
    for (const module of modules) {
      const weight = findModuleWeight(model, module.modulePath, byScope);
      if (weight === null) {
        report.unmatched.push(module.key);
        count(lora, false);
        continue;
      }
      const [out] = module.up.shape;
      const columns = module.down.data.length / module.rank;
      if (out! * columns !== elementCount(weight.dims)) {
        report.mismatched.push(module.key);
        count(lora, false);
        continue;
      }
      count(lora, true);
      const entry = plan.get(weight.initializer) ?? { weight, parts: [] };
      entry.parts.push({ module, lora });
      plan.set(weight.initializer, entry);
    }
  }
  for (const [name, { weight, parts }] of plan) {
    const values = await model.readFloats(name);
    for (const { module, lora } of parts) addDelta(values, loraDelta(module, lora.multiplier, { dynDim: lora.dynDim }), weight);
    await model.setInitializer({ name, dims: weight.dims, dataType: weight.dataType }, values);
    report.patchedWeights++;
    report.appliedModules += parts.length;
  }
  return report;
}

/** A LoRA file for one pass, as the plan names it (lib/engine/plan.ts `LoraSpec`). */
export interface LoraFileSpec {
  readonly path: string;
  readonly te: number;
  readonly unet: number;
  readonly dynDim: number | null;
}

/**
 * The text-encoder and UNet applications of `specs`. Each file is identified by path, size and modification time
 * (stat now: a missing file is a NetworkFileError of kind "io"); its tensors are read once, and only if a derived
 * model has to be written.
 */
export async function loraApplications(specs: readonly LoraFileSpec[]): Promise<{ te: AppliedLora[]; unet: AppliedLora[] }> {
  const te: AppliedLora[] = [];
  const unet: AppliedLora[] = [];
  for (const spec of specs) {
    const info = await stat(spec.path).catch((cause: NodeJS.ErrnoException) => {
      throw new NetworkFileError(spec.path, "io", `cannot be read (${cause.code ?? cause})`, { cause });
    });
    const id = `${spec.path}:${info.size}:${info.mtimeMs}`;
    let loaded: Promise<readonly LoraModule[]> | null = null;
    const modules = () => (loaded ??= readLoraFile(spec.path).then((file) => file.modules));
    te.push({ id, path: spec.path, multiplier: spec.te, dynDim: spec.dynDim, modules });
    unet.push({ id, path: spec.path, multiplier: spec.unet, dynDim: spec.dynDim, modules });
  }
  return { te, unet };
}
