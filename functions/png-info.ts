import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { pngInfo } from "../lib/a1111/routes/png-info.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

export const handler = defineRoute(CONTRACTS["png-info"], ({ body }) => pngInfo(body.image));
