import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

/** No selectable or always-on scripts: requests naming one get a 422. */
export const handler = defineRoute(CONTRACTS.scripts, async () => ({ txt2img: [], img2img: [] }));
