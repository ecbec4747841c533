/**
 * Writing generated images as A1111 names them: `<5-digit number>-<seed>.<ext>` in the output folder, numbered on
 * from the highest number already there (A1111's `images.get_next_sequence_number` and its default filename pattern
 * `[seed]`). The files are the API's bytes as they are, so each PNG keeps its `parameters` infotext chunk.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** The extension for an image file, by its magic bytes (the API returns PNG unless samples_format says otherwise). */
export function imageExtension(file: Buffer): string {
  if (file.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "png";
  if (file[0] === 0xff && file[1] === 0xd8) return "jpg";
  if (file.subarray(0, 4).toString("latin1") === "RIFF" && file.subarray(8, 12).toString("latin1") === "WEBP") return "webp";
  return "bin";
}

/** The next free number in `dir`: one past the highest `NNNNN-` prefix there, 0 for an empty or new folder. */
export async function nextSequenceNumber(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let highest = -1;
  for (const name of names) {
    const match = /^(\d+)-/.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest + 1;
}

/** Writes `images` (with their seeds) into `dir`, never over an existing file; returns the paths written. */
export async function writeImages(dir: string, images: readonly Buffer[], seeds: readonly number[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  let number = await nextSequenceNumber(dir);
  const written: string[] = [];
  for (const [i, image] of images.entries()) {
    const file = path.join(dir, `${String(number++).padStart(5, "0")}-${seeds[i] ?? "unknown"}.${imageExtension(image)}`);
    await writeFile(file, image, { flag: "wx" });
    written.push(file);
  }
  return written;
}
