import { CONTRACTS } from "../lib/api/contracts.ts";
import { defineRoute } from "../lib/http/route.ts";

/** LoRA networks are not supported; `<lora:…>` tags are removed from prompts. */
export const handler = defineRoute(CONTRACTS.loras, async () => []);
