import { CONTRACTS } from "../lib/api/contracts.ts";
import { pngInfo } from "../lib/api/png-info.ts";
import { defineRoute } from "../lib/http/route.ts";

export const handler = defineRoute(CONTRACTS["png-info"], ({ body }) => pngInfo(body.image));
