import { PYTHON_WORD_CHAR } from "./python-word.ts";

/** One `<name:arg1:arg2…>` tag (A1111 modules/extra_networks.py `ExtraNetworkParams`). */
export interface ExtraNetworkTag {
  /** The network kind, e.g. "lora" or "hypernet". */
  readonly name: string;
  /** The arguments as written, split on ":". */
  readonly items: readonly string[];
  /** Items without a single "=". */
  readonly positional: readonly string[];
  /** Items of the form `key=value`. */
  readonly named: Readonly<Record<string, string>>;
}

/** The `(\w+)` of A1111 `re_extra_net` `<(\w+):([^>]+)>`, anchored where the scan stands. */
const WORD_RUN = new RegExp(`${PYTHON_WORD_CHAR}+`, "uy");

function extraNetworkTag(name: string, args: string): ExtraNetworkTag {
  const items = args.split(":");
  const positional: string[] = [];
  const named: [string, string][] = [];
  for (const item of items) {
    // Python `item.split('=', 2)`: only an item with exactly one "=" is a named argument.
    const parts = item.split("=");
    if (parts.length === 2) named.push([parts[0]!, parts[1]!]);
    else positional.push(item);
  }
  return { name, items, positional, named: Object.fromEntries(named) };
}

/**
 * Removes extra-network tags from a prompt and returns them in prompt order
 * (A1111 modules/extra_networks.py `parse_prompt`: `re.sub(re_extra_net, …)`). `"a <lora:x:0.8> cat"` gives
 * `"a  cat"` and one lora tag. Scanned by hand: at each `<`, the word run must end in `:`, and the arguments run
 * to the next `>` (at least one character). The regex retries `[^>]+` to the end of the text from every `<` when
 * no `>` follows, which is quadratic.
 */
export function parseExtraNetworks(prompt: string): { prompt: string; tags: ExtraNetworkTag[] } {
  const tags: ExtraNetworkTag[] = [];
  let cleaned = "";
  let copiedTo = 0;
  // The first ">" at or after the last place looked from; -1 when there is none.
  let closer = -2;
  let open = prompt.indexOf("<");
  while (open >= 0) {
    WORD_RUN.lastIndex = open + 1;
    const name = WORD_RUN.exec(prompt)?.[0];
    const colon = open + 1 + (name?.length ?? 0);
    if (name !== undefined && prompt[colon] === ":") {
      if (closer !== -1 && closer <= colon) closer = prompt.indexOf(">", colon + 1);
      // No ">" after this colon: no later "<" can start a tag either.
      if (closer === -1) break;
      if (closer > colon + 1) {
        tags.push(extraNetworkTag(name, prompt.slice(colon + 1, closer)));
        cleaned += prompt.slice(copiedTo, open);
        copiedTo = closer + 1;
        open = prompt.indexOf("<", closer + 1);
        continue;
      }
    }
    open = prompt.indexOf("<", open + 1);
  }
  return { prompt: cleaned + prompt.slice(copiedTo), tags };
}
