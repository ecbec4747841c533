import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { plaintextToHtml, processExtrasImage } from "../lib/a1111/routes/extras.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS["extra-single-image"], async ({ body }) => {
  const { image, ...options } = body;
  const result = await processExtrasImage(image, ["image"], options);
  return { html_info: plaintextToHtml(result.postprocessing), image: result.file };
});
