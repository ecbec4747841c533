/**
 * Inpainting masks as A1111 reads them (`decode_base64_to_image` → `images.read`, then `create_binary_mask`): the
 * mask keeps its transparency, because a transparent RGBA mask is read from its alpha channel. An image with colour
 * and alpha comes back as RGBA; any other (grey, grey + alpha — which Pillow's "LA" → "L" conversion ignores — RGB,
 * palette) as RGB, whose luma create_binary_mask takes. EXIF orientation is applied, as `images.read` does.
 */
import type { PilImage } from "../../engine/image/pil-image.ts";
import { invalidField } from "../errors.ts";
import { clientImage, readImageHeader } from "./decode.ts";

type Loc = (string | number)[];

export async function decodeMask(value: string, loc: Loc): Promise<PilImage> {
  const header = await readImageHeader(value, loc);
  try {
    const meta = await clientImage(header).metadata();
    const rgba = meta.hasAlpha === true && (meta.channels ?? 0) >= 4;
    const pipeline = rgba ? clientImage(header).ensureAlpha() : clientImage(header).removeAlpha().toColourspace("srgb");
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    const mode = info.channels === 4 ? "RGBA" : "RGB";
    return { mode, width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (error) {
    throw invalidField(loc, `Invalid encoded image: ${(error as Error).message.split("\n", 1)[0]}`);
  }
}
