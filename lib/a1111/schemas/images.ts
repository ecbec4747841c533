/** png-info and the Extras endpoints (docs/a1111-semantics.md §4.4, §9.9, §9.10). */
import * as z from "zod";
import { boolField, floatField, intField, requiredStr, strField } from "./fields.ts";
import { LIMITS } from "./limits.ts";

export const PNGInfoRequest = z.object({ image: requiredStr("") }).meta({ id: "PNGInfoRequest" });
export const PNGInfoResponse = z
  .object({
    info: z.string(),
    items: z.record(z.string(), z.unknown()),
    parameters: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "PNGInfoResponse" });

const extrasShape = {
  resize_mode: intField(0, { min: 0, max: 1 }),
  show_extras_results: boolField(true),
  gfpgan_visibility: floatField(0, { min: 0, max: 1 }),
  codeformer_visibility: floatField(0, { min: 0, max: 1 }),
  codeformer_weight: floatField(0, { min: 0, max: 1 }),
  upscaling_resize: floatField(2, { min: 0.01, max: 8 }),
  upscaling_resize_w: intField(512, { min: 1, max: LIMITS.maxSize * 2 }),
  upscaling_resize_h: intField(512, { min: 1, max: LIMITS.maxSize * 2 }),
  upscaling_crop: boolField(true),
  upscaler_1: strField("None", 100),
  upscaler_2: strField("None", 100),
  extras_upscaler_2_visibility: floatField(0, { min: 0, max: 1 }),
  upscale_first: boolField(false),
};

export const ExtrasSingleImageRequest = z
  .object({ ...extrasShape, image: strField("") })
  .meta({ id: "ExtrasSingleImageRequest" });
export const ExtrasSingleImageResponse = z
  .object({ html_info: z.string(), image: z.string() })
  .meta({ id: "ExtrasSingleImageResponse" });

export const ExtrasBatchImagesRequest = z
  .object({
    ...extrasShape,
    imageList: z
      .array(z.object({ data: z.string(), name: strField("", 256) }), { error: "value is not a valid list" })
      .max(LIMITS.maxImages)
      .default([]),
  })
  .meta({ id: "ExtrasBatchImagesRequest" });
export const ExtrasBatchImagesResponse = z
  .object({ html_info: z.string(), images: z.array(z.string()) })
  .meta({ id: "ExtrasBatchImagesResponse" });

export type ExtrasSingleImageRequest = z.output<typeof ExtrasSingleImageRequest>;
export type ExtrasBatchImagesRequest = z.output<typeof ExtrasBatchImagesRequest>;
export type ExtrasOptions = Omit<ExtrasSingleImageRequest, "image">;
