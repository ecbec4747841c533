/** The listing routes, built from the registries so that they list exactly what runs. */
import { SAMPLERS, samplerOptions } from "../../engine/samplers/registry.ts";
import { SCHEDULERS } from "../../engine/schedules/registry.ts";
import { LATENT_UPSCALE_MODES, UPSCALERS } from "../../engine/upscalers.ts";
import { scriptTitles } from "../generation/scripts.ts";
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

/** Textual-inversion embeddings are not supported. */
export const embeddings = implement(ROUTE.embeddings, async () => ({ loaded: {}, skipped: {} }));

/** No selectable or always-on scripts (lib/a1111/generation/scripts.ts: which entries are no-ops, which a 422). */
export const scripts = implement(ROUTE.scripts, async () => scriptTitles());

/** LoRA networks are not supported; a `<lora:…>` tag is a 422 naming it. */
export const loras = implement(ROUTE.loras, async () => []);
