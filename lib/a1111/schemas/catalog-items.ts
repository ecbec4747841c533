/** Listing routes: samplers, schedulers, upscalers, latent upscale modes, models (docs/a1111-semantics.md §5, §9). */
import * as z from "zod";

export const SamplerItem = z
  .object({ name: z.string(), aliases: z.array(z.string()), options: z.record(z.string(), z.string()) })
  .meta({ id: "SamplerItem" });
export const SchedulerItem = z
  .object({
    name: z.string(),
    label: z.string(),
    aliases: z.array(z.string()).nullable(),
    default_rho: z.number(),
    need_inner_model: z.boolean(),
  })
  .meta({ id: "SchedulerItem" });
export const UpscalerItem = z
  .object({
    name: z.string(),
    model_name: z.string().nullable(),
    model_path: z.string().nullable(),
    model_url: z.string().nullable(),
    scale: z.number(),
  })
  .meta({ id: "UpscalerItem" });
export const LatentUpscalerModeItem = z.object({ name: z.string() }).meta({ id: "LatentUpscalerModeItem" });
export const SDModelItem = z
  .object({
    title: z.string(),
    model_name: z.string(),
    hash: z.string().nullable(),
    sha256: z.string().nullable(),
    filename: z.string(),
    config: z.string().nullable(),
  })
  .meta({ id: "SDModelItem" });
export const SDVaeItem = z.object({ model_name: z.string(), filename: z.string() }).meta({ id: "SDVaeItem" });
export const PromptStyleItem = z
  .object({ name: z.string(), prompt: z.string().nullable(), negative_prompt: z.string().nullable() })
  .meta({ id: "PromptStyleItem" });
/** One embedding as A1111's `get_embeddings` shows it (modules/api/models.py `EmbeddingItem`). */
export const EmbeddingItem = z
  .object({
    step: z.number().int().nullable().describe("The training step the embedding was saved at, when it says."),
    sd_checkpoint: z.string().nullable().describe("Hash of the checkpoint it was trained on, when it says."),
    sd_checkpoint_name: z.string().nullable().describe("Name of the checkpoint it was trained on, when it says."),
    shape: z.number().int().describe("The vector width (768 for SD 1.x, 1024 for SD 2.x)."),
    vectors: z.number().int().describe("How many token positions it takes."),
  })
  .meta({ id: "EmbeddingItem" });
export const EmbeddingsResponse = z
  .object({
    loaded: z.record(z.string(), EmbeddingItem).describe("Embeddings the loaded model can use, by name."),
    skipped: z.record(z.string(), EmbeddingItem).describe("Embeddings of another width than the loaded model's text encoder."),
  })
  .meta({ id: "EmbeddingsResponse" });
export const ScriptsList = z
  .object({ txt2img: z.array(z.string()), img2img: z.array(z.string()) })
  .meta({ id: "ScriptsList" });
export const LoraItem = z
  .object({ name: z.string(), alias: z.string(), path: z.string(), metadata: z.record(z.string(), z.unknown()) })
  .meta({ id: "LoraItem" });

export const SamplerList = z.array(SamplerItem);
export const SchedulerList = z.array(SchedulerItem);
export const UpscalerList = z.array(UpscalerItem);
export const LatentUpscalerModeList = z.array(LatentUpscalerModeItem);
export const SDModelList = z.array(SDModelItem);
export const SDVaeList = z.array(SDVaeItem);
export const PromptStyleList = z.array(PromptStyleItem);
export const LoraList = z.array(LoraItem);
export type SDModelItem = z.output<typeof SDModelItem>;
export type LoraItem = z.output<typeof LoraItem>;
export type EmbeddingsResponse = z.output<typeof EmbeddingsResponse>;
