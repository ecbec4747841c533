import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { latentUpscaleModeList } from "../lib/a1111/routes/listings.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS["latent-upscale-modes"], async () => latentUpscaleModeList());
