/**
 * Extra-network tags (`<lora:name:0.8>`, `<hypernet:name:1>`) as A1111 treats them (modules/extra_networks.py,
 * processing.py `parse_extra_network_prompts`): they are removed from the positive prompts (and the hires prompts)
 * before tokenising, and applied unless `disable_extra_networks` is set; negative prompts keep them as text.
 * Serena has no extra networks to apply yet, so a tag that would be applied is a 422 naming the prompt that holds it:
 * dropping it silently would give another image than the one asked for.
 */
import { parseExtraNetworks } from "../../engine/prompts/extra-networks.ts";
import { invalidField } from "../errors.ts";
import type { Img2ImgRequest, Txt2ImgRequest } from "../schemas/generation.ts";

export function checkExtraNetworks(request: Txt2ImgRequest | Img2ImgRequest): void {
  if (request.disable_extra_networks) return;
  const fields = [["prompt", request.prompt], ...("hr_prompt" in request ? [["hr_prompt", request.hr_prompt] as const] : [])] as const;
  for (const [field, text] of fields) {
    const [tag] = parseExtraNetworks(text).tags;
    if (tag) {
      throw invalidField(
        [field],
        `<${tag.name}:${tag.items.join(":")}>: extra networks (${tag.name}) are not available in Serena; remove the tag, or set disable_extra_networks to true to have it ignored as A1111 does`,
      );
    }
  }
}

/** Prompts as the text encoder sees them: extra-network tags removed (positive prompts only, as A1111 does). */
export const withoutNetworks = (prompts: readonly string[]) => prompts.map((p) => parseExtraNetworks(p).prompt);
