/**
 * Generated images kept in the bucket: `<prefix><n>.<ext>`, n counting from 0 in the order of the response's
 * images, the extension from the file's own signature (samples_format may make them JPEG or WebP). Clients get
 * presigned GET URLs, valid for SERENA_PRESIGN_EXPIRES seconds. The API, the job runner and remote workers all
 * store images through `storeImages`.
 */
import type { ImageStore } from "../../a1111/routes/context.ts";
import { mapConcurrent } from "./concurrency.ts";
import type { ObjectStorage } from "./object-storage.ts";

const SIGNATURES: { ext: string; contentType: string; test: (b: Buffer) => boolean }[] = [
  { ext: "png", contentType: "image/png", test: (b) => b.readUInt32BE(0) === 0x89504e47 },
  { ext: "jpg", contentType: "image/jpeg", test: (b) => b[0] === 0xff && b[1] === 0xd8 },
  { ext: "webp", contentType: "image/webp", test: (b) => b.toString("latin1", 0, 4) === "RIFF" && b.toString("latin1", 8, 12) === "WEBP" },
];

export function imageFileType(file: Buffer): { ext: string; contentType: string } {
  const found = file.length >= 12 ? SIGNATURES.find((s) => s.test(file)) : undefined;
  return found ? { ext: found.ext, contentType: found.contentType } : { ext: "bin", contentType: "application/octet-stream" };
}

/** Where one generation's images go: `outputs/<id>/`. */
export const outputPrefix = (id: string) => `outputs/${id}/`;

/** Stores images under `prefix`; returns their keys in the same order. */
export function storeImages(storage: ObjectStorage, prefix: string, images: readonly Buffer[]): Promise<string[]> {
  return mapConcurrent(images, 8, async (image, n) => {
    const { ext, contentType } = imageFileType(image);
    const key = `${prefix}${n}.${ext}`;
    await storage.put(key, image, contentType);
    return key;
  });
}

export function presignImages(storage: ObjectStorage, keys: readonly string[]): Promise<string[]> {
  return Promise.all(keys.map((key) => storage.presignGet(key)));
}

/** The bucket as the A1111 routes see it. */
export function createImageStore(storage: ObjectStorage): ImageStore {
  return {
    store: (id, images) => storeImages(storage, outputPrefix(id), images),
    presign: (keys) => presignImages(storage, keys),
  };
}
