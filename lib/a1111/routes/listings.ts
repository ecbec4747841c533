/** The listing routes, built from the registries so that they list exactly what runs. */
import { SAMPLERS, samplerOptions } from "../../engine/samplers/registry.ts";
import { SCHEDULERS } from "../../engine/schedules/registry.ts";
import { LATENT_UPSCALE_MODES, UPSCALERS } from "../../engine/upscalers.ts";
import { scriptTitles } from "../generation/scripts.ts";
import { readOptions } from "./options.ts";
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

export const samplers = implement(ROUTE.samplers, async () =>
  SAMPLERS.map((s) => ({ name: s.name, aliases: [...s.aliases], options: samplerOptions(s) })),
);

export const schedulers = implement(ROUTE.schedulers, async () =>
  SCHEDULERS.map((s) => ({
    name: s.name,
    label: s.label,
    aliases: s.aliases ? [...s.aliases] : null,
    default_rho: s.defaultRho,
    need_inner_model: s.needInnerModel,
  })),
);

/** A1111's UpscalerData defaults: no model files and scale 4.0 for the plain resizes. */
export const upscalers = implement(ROUTE.upscalers, async () =>
  UPSCALERS.map((u) => ({ name: u.name, model_name: null, model_path: null, model_url: null, scale: 4 })),
);

export const latentUpscaleModes = implement(ROUTE["latent-upscale-modes"], async () => LATENT_UPSCALE_MODES.map((m) => ({ name: m.name })));

export const sdModels = implement(ROUTE["sd-models"], (_input, ctx) => ctx.backend.listModels());

/** Checkpoints are listed from the model folders on every call, so there is nothing to refresh. */
export const refreshCheckpoints = implement(ROUTE["refresh-checkpoints"], async () => null);

/** Serena uses each model folder's own VAE; separate VAEs are not supported. */
export const sdVae = implement(ROUTE["sd-vae"], async () => []);

/** No styles.csv: requests that name a style get a 422. */
export const promptStyles = implement(ROUTE["prompt-styles"], async () => []);

/**
 * The embeddings folder as the loaded model sees it (A1111 api.py `get_embeddings`): `loaded` and `skipped` (another
 * vector width), each by name with step, sd_checkpoint, sd_checkpoint_name, shape and vectors. A backend without a
 * folder here lists none.
 */
export const embeddings = implement(ROUTE.embeddings, async (_input, ctx) => {
  if (!ctx.backend.listEmbeddings) return { loaded: {}, skipped: {} };
  return ctx.backend.listEmbeddings((await readOptions(ctx)).sd_model_checkpoint);
});

/** A1111 `refresh_embeddings`: reloads the folder (`force_reload=True`) and answers null. */
export const refreshEmbeddings = implement(ROUTE["refresh-embeddings"], async (_input, ctx) => {
  if (ctx.backend.refreshEmbeddings) await ctx.backend.refreshEmbeddings((await readOptions(ctx)).sd_model_checkpoint);
  return null;
});

/** No selectable or always-on scripts (lib/a1111/generation/scripts.ts: which entries are no-ops, which a 422). */
export const scripts = implement(ROUTE.scripts, async () => scriptTitles());

/**
 * The LoRA folder's files as A1111's Lora extension lists them (lora_script.py `api_networks`): name, alias, path and
 * the safetensors metadata. A backend without a folder here lists none.
 */
export const loras = implement(ROUTE.loras, async (_input, ctx) => (await ctx.backend.listLoras?.()) ?? []);

/** A1111 lora_script.py `refresh_loras`: rescans the folder and answers null. */
export const refreshLoras = implement(ROUTE["refresh-loras"], async (_input, ctx) => {
  await ctx.backend.refreshLoras?.();
  return null;
});
