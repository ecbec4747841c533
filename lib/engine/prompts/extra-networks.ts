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

/** A1111 `re_extra_net` `<(\w+):([^>]+)>`. */
const EXTRA_NETWORK_TAG = new RegExp(`<(${PYTHON_WORD_CHAR}+):([^>]+)>`, "gu");

function extraNetworkTag(name: string, args: string): ExtraNetworkTag {
  const items = args.split(":");
  const positional: string[] = [];
  const named: [string, string][] = [];
  for (const item of items) {
    // Python `item.split('=', 2)`: only an item with exactly one "=" is a named argument.
    const parts = item.split("=");
    if (parts.length === 2) named.push([parts[0], parts[1]]);
    else positional.push(item);
  }
  return { name, items, positional, named: Object.fromEntries(named) };
}

/**
 * Removes extra-network tags from a prompt and returns them in prompt order
 * (A1111 modules/extra_networks.py `parse_prompt`). `"a <lora:x:0.8> cat"` gives `"a  cat"` and one lora tag.
 */
export function parseExtraNetworks(prompt: string): { prompt: string; tags: ExtraNetworkTag[] } {
  const tags: ExtraNetworkTag[] = [];
  const cleaned = prompt.replace(EXTRA_NETWORK_TAG, (_match, name: string, args: string) => {
    tags.push(extraNetworkTag(name, args));
    return "";
  });
  return { prompt: cleaned, tags };
}
