/**
 * A1111's refiner fields (`refiner_checkpoint`, `refiner_switch_at`; v1.10 modules/processing.py and
 * sd_samplers_common.py `apply_refiner`) for the engine (lib/engine/pipeline/refiner.ts), and the infotext entries
 * A1111 writes when the refiner took over.
 */
import type { RefinerSpec } from "../../engine/plan.ts";
import { invalidField } from "../errors.ts";
import { pyFloat, type PyValue } from "../infotext/python-format.ts";
import type { Options } from "../schemas/options.ts";
import type { GenerationRequest } from "../schemas/generation.ts";

/** The checkpoint name a request asks to refine with, or null: A1111 treats None, "", "None" and "none" as no refiner. */
export function requestedRefiner(request: Pick<GenerationRequest, "refiner_checkpoint">): string | null {
  const name = request.refiner_checkpoint;
  return name === undefined || name === null || ["", "None", "none"].includes(name) ? null : name;
}

/**
 * The engine's refiner for a request: `modelDir` is the folder the backend resolved `refiner_checkpoint` to, absent
 * where the backend cannot run a refiner (then a request that asks for one is a 422). A refiner that is the model
 * itself never switches (A1111 compares the checkpoints), so none is planned.
 */
export function refinerPlan(
  request: Pick<GenerationRequest, "refiner_checkpoint" | "refiner_switch_at">,
  options: Pick<Options, "hires_fix_refiner_pass" | "refiner_switch_by_sample_steps">,
  modelDir: string | undefined,
  baseModelDir?: string,
): RefinerSpec | null {
  const name = requestedRefiner(request);
  if (name === null) return null;
  if (modelDir === undefined) throw invalidField(["refiner_checkpoint"], "refiner models are not available with this inference backend (use the local backend)");
  if (modelDir === baseModelDir) return null;
  return {
    modelDir,
    switchAt: request.refiner_switch_at ?? null,
    hiresPass: options.hires_fix_refiner_pass as RefinerSpec["hiresPass"],
    bySteps: options.refiner_switch_by_sample_steps,
  };
}

/**
 * What A1111 adds to `extra_generation_params` from `apply_refiner`: `Refiner switch by sampling steps` whenever that
 * option is on (with or without a refiner), and when the refiner takes over `Hires refiner` (with hires fix, unless
 * the pass option is its default "second pass"), `Refiner` (the checkpoint's short title, "name [hash]") and
 * `Refiner switch at` (dropped from the infotext when None, as every None entry is).
 */
export function refinerExtras(
  request: Pick<GenerationRequest, "refiner_switch_at">,
  options: Pick<Options, "hires_fix_refiner_pass" | "refiner_switch_by_sample_steps">,
  hires: boolean,
  refiner: { readonly name: string; readonly hash: string | null } | undefined,
): Record<string, PyValue> {
  const extra: Record<string, PyValue> = {};
  // `apply_refiner` runs on every model call, refiner or not, and records this option first thing.
  if (options.refiner_switch_by_sample_steps) extra["Refiner switch by sampling steps"] = true;
  if (refiner === undefined) return extra;
  if (hires && options.hires_fix_refiner_pass !== "second pass") extra["Hires refiner"] = options.hires_fix_refiner_pass;
  extra["Refiner"] = refiner.hash === null ? refiner.name : `${refiner.name} [${refiner.hash}]`;
  const switchAt = request.refiner_switch_at;
  if (switchAt !== undefined && switchAt !== null) extra["Refiner switch at"] = pyFloat(switchAt);
  return extra;
}
