import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

/** Serena uses each model folder's own VAE; separate VAEs are not supported. */
export const handler = defineRoute(CONTRACTS["sd-vae"], async () => []);
