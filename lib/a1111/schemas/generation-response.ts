/**
 * txt2img / img2img responses (docs/a1111-semantics.md §2.4): base64 images, the request echo, and `info`, a JSON *string*
 * whose object has A1111's 32 keys in A1111's order (`Processed.js()`).
 */
import * as z from "zod";

const int = z.int();
const ints = z.array(int);
const strs = z.array(z.string());

export const GenerationInfo = z
  .object({
    prompt: z.string(),
    all_prompts: strs,
    negative_prompt: z.string(),
    all_negative_prompts: strs,
    seed: int,
    all_seeds: ints,
    subseed: int,
    all_subseeds: ints,
    subseed_strength: z.number(),
    width: int,
    height: int,
    sampler_name: z.string(),
    cfg_scale: z.number(),
    steps: int,
    batch_size: int,
    restore_faces: z.boolean(),
    face_restoration_model: z.string().nullable(),
    sd_model_name: z.string().nullable(),
    sd_model_hash: z.string().nullable(),
    sd_vae_name: z.string().nullable(),
    sd_vae_hash: z.string().nullable(),
    seed_resize_from_w: int,
    seed_resize_from_h: int,
    denoising_strength: z.number().nullable(),
    extra_generation_params: z.record(z.string(), z.unknown()),
    index_of_first_image: int,
    infotexts: strs,
    styles: strs,
    job_timestamp: z.string().regex(/^\d{14}$/),
    clip_skip: int,
    is_using_inpainting_conditioning: z.boolean(),
    version: z.string(),
  })
  .strict()
  .meta({ id: "GenerationInfo", description: "The object that `info` holds as a JSON string." });

export type GenerationInfo = z.output<typeof GenerationInfo>;
export const GENERATION_INFO_KEYS = Object.keys(GenerationInfo.shape) as (keyof GenerationInfo)[];

export const GenerationResponse = z
  .object({
    images: z.array(z.string()).describe("Base64 image files (PNG by default), no data: prefix; [] when send_images is false."),
    parameters: z.record(z.string(), z.unknown()).describe("The request as received, after defaults (seed stays -1)."),
    info: z.string().describe("A JSON string of GenerationInfo."),
    warnings: z
      .array(z.string())
      .optional()
      .describe(
        "Serena only, present when the request set something that had no effect, e.g. a sampler setting the chosen " +
          "sampler does not read. A1111 accepts such settings silently; Serena accepts them and says so here.",
      ),
    image_urls: z
      .array(z.string())
      .optional()
      .describe(
        "Serena only, present when the images were stored in the bucket (save_images, or a response too large to send " +
          "inline; header x-serena-images: stored): presigned GET URLs, in the order of the images. When the images " +
          "would not fit, `images` is [] and these URLs are the only copy in the response.",
      ),
  })
  .meta({ id: "GenerationResponse" });

export type GenerationResponse = z.output<typeof GenerationResponse>;
