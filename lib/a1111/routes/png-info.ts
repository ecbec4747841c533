/**
 * /sdapi/v1/png-info (docs/a1111-semantics.md): the infotext from a PNG `parameters` chunk or a JPEG/WebP EXIF
 * UserComment (which wins when both exist, as in A1111), the other text chunks as `items`, and the parsed fields.
 *
 * Bounded: the image is checked like any client image (format by magic bytes, pixel limit, fully decodable), its
 * text chunks are bounded when inflated and in total (LIMITS.maxImageTextBytes), an infotext longer than
 * LIMITS.maxInfotextChars is a 422 naming `image` rather than parsed, and the answer obeys the server's response
 * limit (413).
 */
import { invalidField } from "../errors.ts";
import { decodeImage } from "../images/decode.ts";
import { readUserComment } from "../images/exif-user-comment.ts";
import { parseGenerationParameters } from "../infotext/parse.ts";
import { LIMITS } from "../schemas/limits.ts";
import { checkResponseSize, clientPngText } from "./extras.ts";
import { implement } from "./route.ts";
import { ROUTE } from "./table.ts";

export async function pngInfo(image: string, maxResponseBytes: number = Infinity) {
  const decoded = await decodeImage(image, ["image"]);
  const items: Record<string, string> = decoded.format === "png" ? clientPngText(decoded.file, ["image"]) : {};
  let info = items.parameters ?? "";
  delete items.parameters;
  const comment = decoded.exif ? readUserComment(decoded.exif) : null;
  if (comment) info = comment;
  if (info.length > LIMITS.maxInfotextChars) {
    throw invalidField(["image"], `the image's infotext is ${info.length} characters; png-info reads at most ${LIMITS.maxInfotextChars}`);
  }
  const body = { info, items, parameters: parseGenerationParameters(info) };
  checkResponseSize(body, maxResponseBytes, "The image's text chunks are too large to return.");
  return body;
}

export const pngInfoRoute = implement(ROUTE["png-info"], ({ body }, ctx) => pngInfo(body.image, ctx.services.server.maxResponseBytes));
