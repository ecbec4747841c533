/**
 * /sdapi/v1/png-info (docs/a1111-semantics.md): the infotext from a PNG `parameters` chunk or a JPEG/WebP EXIF
 * UserComment (which wins when both exist, as in A1111), the other text chunks as `items`, and the parsed fields.
 */
import sharp from "sharp";
import { decodeImage } from "../images/decode.ts";
import { readUserComment } from "../images/exif-user-comment.ts";
import { readPngText } from "../images/png-text.ts";
import { parseGenerationParameters } from "../infotext/parse.ts";
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

export async function pngInfo(image: string) {
  const decoded = await decodeImage(image, ["image"]);
  const items: Record<string, string> = decoded.format === "png" ? readPngText(decoded.file) : {};
  let info = items.parameters ?? "";
  delete items.parameters;
  const { exif } = await sharp(decoded.file).metadata();
  const comment = exif ? readUserComment(exif) : null;
  if (comment) info = comment;
  return { info, items, parameters: parseGenerationParameters(info) };
}

export const pngInfoRoute = implement(ROUTE["png-info"], ({ body }) => pngInfo(body.image));
