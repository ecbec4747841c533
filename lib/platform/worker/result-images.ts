/**
 * How a worker returns the images it made: inline as base64 while they fit the caller's limit, otherwise (or when
 * the caller asks to keep them, A1111's `save_images`) written to the bucket and returned as keys. The limit exists
 * because a Lambda answers at most 6 MB and base64 adds a third (docs/deploying.md).
 */
import type * as z from "zod";
import { ApiError, backendUnavailable } from "../../a1111/errors.ts";
import type { OutputPolicy, ResultImage } from "../inference/job-protocol.ts";
import type { ObjectStorage } from "../storage/object-storage.ts";
import { storeImages } from "../storage/outputs.ts";

const inline = (image: Buffer): ResultImage => ({ base64: image.toString("base64") });

/** Length of the base64 text for `bytes` bytes (padded, as Buffer#toString("base64") writes it). */
export const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);

/** No policy: the caller takes every image inline, whatever the size (the HTTP worker's own clients). */
export async function resultImages(
  images: Buffer[],
  policy: z.output<typeof OutputPolicy> | undefined,
  storage: ObjectStorage | null,
): Promise<ResultImage[]> {
  if (!policy) return images.map(inline);
  const inlineBytes = images.reduce((sum, image) => sum + base64Length(image.length), 0);
  const fits = inlineBytes <= policy.inlineLimitBytes;
  if (fits && !policy.store) return images.map(inline);
  if (!storage) {
    if (fits) throw backendUnavailable("save_images needs a bucket, and the inference worker has none (SERENA_BUCKET)");
    throw new ApiError(
      413,
      "PayloadTooLarge",
      `The images are ${inlineBytes} bytes as base64, over the ${policy.inlineLimitBytes}-byte response limit, and the inference worker has no bucket to store them in (SERENA_BUCKET)`,
    );
  }
  return (await storeImages(storage, policy.prefix, images)).map((key) => ({ key }));
}
