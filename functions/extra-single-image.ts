import { CONTRACTS } from "../lib/api/contracts.ts";
import { plaintextToHtml, processExtrasImage } from "../lib/api/extras.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS["extra-single-image"], async ({ body }) => {
  const { image, ...options } = body;
  const result = await processExtrasImage(image, ["image"], options);
  return { html_info: plaintextToHtml(result.postprocessing), image: result.file };
});
