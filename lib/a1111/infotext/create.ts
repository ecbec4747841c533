/**
 * The infotext ("generation parameters") A1111 writes into every image (processing.create_infotext,
 * docs/a1111-semantics.md §4.1): prompt, optional negative prompt line, then `Key: value` pairs in A1111's fixed order.
 */
import { pyJsonDumpsUnicode, pyStr, type PyValue } from "./python-format.ts";

/** A1111's `quote()`: values with ",", "\n" or ":" are JSON-quoted. */
export function quoteInfotextValue(value: string): string {
  return /[,\n:]/.test(value) ? pyJsonDumpsUnicode(value) : value;
}

/** `[key, value]` pairs in A1111's order; entries whose value is null or undefined are left out. */
export type InfotextEntries = ReadonlyArray<readonly [string, PyValue | undefined]>;

export function createInfotext(prompt: string, negativePrompt: string, entries: InfotextEntries): string {
  const params = entries
    .filter((e): e is readonly [string, PyValue] => e[1] !== null && e[1] !== undefined)
    .map(([k, v]) => {
      const text = pyStr(v);
      return k === text ? k : `${k}: ${quoteInfotextValue(text)}`;
    })
    .join(", ");
  const negative = negativePrompt ? `\nNegative prompt: ${negativePrompt}` : "";
  return `${prompt}${negative}\n${params}`.trim();
}
