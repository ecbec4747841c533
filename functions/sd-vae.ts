import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";

/** Serena uses each model folder's own VAE; separate VAEs are not supported. */
export const handler = defineRoute(CONTRACTS["sd-vae"], async () => []);
