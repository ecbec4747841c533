import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { plaintextToHtml, processExtrasImage } from "../lib/a1111/routes/extras.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS["extra-batch-images"], async ({ body }) => {
  const { imageList, ...options } = body;
  const results = [];
  for (const [i, item] of imageList.entries()) results.push(await processExtrasImage(item.data, ["imageList", i, "data"], options));
  return { html_info: plaintextToHtml(results[0]?.postprocessing ?? ""), images: results.map((r) => r.file) };
});
