import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";

/** No selectable or always-on scripts: requests naming one get a 422. */
export const handler = defineRoute(CONTRACTS.scripts, async () => ({ txt2img: [], img2img: [] }));
