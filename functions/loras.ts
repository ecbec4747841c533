import { CONTRACTS } from "../lib/a1111/routes/contracts.ts";
import { defineRoute } from "../lib/platform/http/route.ts";

/** LoRA networks are not supported; `<lora:…>` tags are removed from prompts. */
export const handler = defineRoute(CONTRACTS.loras, async () => []);
