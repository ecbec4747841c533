import { CONTRACTS } from "../lib/api/contracts.ts";
import { latentUpscaleModeList } from "../lib/api/listings.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS["latent-upscale-modes"], async () => latentUpscaleModeList());
