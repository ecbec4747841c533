/**
 * GET and POST /sdapi/v1/options. POST validates every key: an unknown key or a bad value is a 422 naming it
 * (A1111 answers 500), restricted keys are ignored as in A1111, a checkpoint must be one `/sd-models` lists, and a
 * clip skip must be one its model serves (where the backend can tell), so that no stored setting breaks later requests.
 */
import { invalidField } from "../errors.ts";
import type { Options } from "../schemas/options.ts";
import type { RouteContext } from "./context.ts";
import { findModel } from "./models.ts";
import { parseOptionPatch } from "./option-patch.ts";
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

/** The stored options, with the checkpoint defaulting to the backend's first model. */
export async function readOptions(ctx: RouteContext): Promise<Options> {
  const options = await ctx.services.options.get();
  if (options.sd_model_checkpoint) return options;
  const [first] = await ctx.backend.listModels();
  return first ? { ...options, sd_model_checkpoint: first.title, sd_checkpoint_hash: first.sha256 ?? "" } : options;
}

/**
 * A 422 at `loc` for a clip skip the model `checkpoint` names cannot serve, when the backend can tell (the local
 * engine; not the CI fake, nor a backend whose model lives elsewhere). A question it cannot answer (the model fails to
 * load) refuses nothing: the generation reports that failure itself.
 */
export async function checkClipSkip(value: number, checkpoint: string, loc: (string | number)[], ctx: RouteContext): Promise<void> {
  if (value <= 1 || !ctx.backend.clipSkipSupport) return;
  const support = await ctx.backend.clipSkipSupport(checkpoint).catch(() => null);
  if (support && support.max !== null && value > support.max) throw invalidField(loc, `clip skip ${value}: ${support.reason}`);
}

export async function updateOptions(body: Record<string, unknown>, ctx: RouteContext): Promise<null> {
  const patch = parseOptionPatch(body, [], "reject");
  const checkpoint = patch.sd_model_checkpoint;
  const stored = await readOptions(ctx);
  // An unchanged value is skipped (A1111 `opts.set`), so posting back what GET returned works without a model.
  if (typeof checkpoint === "string" && checkpoint === stored.sd_model_checkpoint) delete patch.sd_model_checkpoint;
  else if (typeof checkpoint === "string") {
    const model = await findModel(ctx.backend, checkpoint);
    if (!model) {
      const known = (await ctx.backend.listModels()).map((m) => m.title);
      throw invalidField(["sd_model_checkpoint"], `model '${checkpoint}' not found; available: ${known.join(", ") || "none"}`);
    }
    patch.sd_model_checkpoint = model.title;
    patch.sd_checkpoint_hash = model.sha256 ?? "";
  }
  // Checked when it or the checkpoint changes: a client posting back what GET returned is not refused for a value that
  // is already stored (generations lower it to what the model serves and say so; docs/api.md "Clip skip").
  const clipSkip = patch.CLIP_stop_at_last_layers;
  if (clipSkip !== undefined && (clipSkip !== stored.CLIP_stop_at_last_layers || patch.sd_model_checkpoint !== undefined)) {
    await checkClipSkip(clipSkip, patch.sd_model_checkpoint ?? stored.sd_model_checkpoint, ["CLIP_stop_at_last_layers"], ctx);
  }
  await ctx.services.options.update(patch as Partial<Options>);
  return null;
}

export const optionsGet = implement(ROUTE["options-get"], (_input, ctx) => readOptions(ctx));
export const optionsSet = implement(ROUTE["options-set"], ({ body }, ctx) => updateOptions(body as Record<string, unknown>, ctx));
