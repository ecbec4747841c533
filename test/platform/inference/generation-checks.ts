/** What every remote backend test expects of a generation: real image files that carry their infotexts. */
import sharp from "sharp";
import { expect } from "vitest";
import { isPng, readPngText } from "../../../lib/a1111/images/png-text.ts";
import type { GenerationJob, GenerationOutput } from "../../../lib/a1111/backend.ts";

/**
 * `count` PNGs of the requested size, each with a `parameters` text chunk equal to its infotext in `info`
 * (A1111 writes the infotext into the PNG: docs/a1111-semantics.md §2.5).
 */
export async function expectPngs(output: GenerationOutput, count: number, size: { width: number; height: number }) {
  expect(output.images).toHaveLength(count);
  expect(output.info.infotexts).toHaveLength(count);
  for (const [i, image] of output.images.entries()) {
    expect(isPng(image)).toBe(true);
    const { width, height } = await sharp(image).metadata();
    expect({ width, height }).toEqual(size);
    expect(readPngText(image).parameters).toBe(output.info.infotexts[i]);
  }
}

/** A job whose A1111 body was changed after validation: how a bad request reaches a worker that validates again. */
export const withBody = (job: GenerationJob, fields: Record<string, unknown>) => ({ ...job, request: { ...job.request, ...fields } }) as GenerationJob;
